// CI's check of this example: the scenario of index.mjs with assertions, against the memcached of
// MEMCACHE_SERVERS (or MEMCACHIER_SERVERS, with credentials if set; else 127.0.0.1:11211).
// Exits 0 only if every check passes (node:test sets the exit code; failures print a diff).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from '@memwire/core';
import { createKeyv } from '@memwire/keyv';

// Namespaces of their own, so the check never touches what the tour (or anything else) stored.
const sessions = createKeyv({ namespace: 'check-sessions', ttl: 60_000 });
const carts = createKeyv({ namespace: 'check-carts' });
/** A plain client, standing for another application on the same memcached. */
const otherApp = createClient();
const errors = [];
for (const keyv of [sessions, carts]) keyv.on('error', (error) => errors.push(error));

/**
 * Resolves once `read()` misses. memcached's clock ticks once a second, so an entry with a 1 s TTL
 * goes within about two seconds; the generous limit only stops a TTL that never expires from hanging.
 */
async function expires(what, read, limitMs = 6_000) {
  const deadline = Date.now() + limitMs;
  while ((await read()) !== undefined) {
    if (Date.now() > deadline) assert.fail(`${what} was still there after ${limitMs} ms`);
    await sleep(100);
  }
}

before(async () => {
  // Keyv turns connection errors into misses, which would read as confusing assertion failures: ask
  // the server directly first, so a missing memcached is one clear message.
  try {
    await otherApp.version();
  } catch (error) {
    throw new Error(
      `no memcached at ${otherApp.servers.join(', ')} (${error.code}): start one, or set MEMCACHE_SERVERS`,
    );
  }
  // Leftovers of an earlier run are in an older generation after these, never read again.
  await Promise.all([sessions.clear(), carts.clear()]);
});

after(async () => {
  await Promise.all([sessions.disconnect(), carts.disconnect(), otherApp.close()]);
});

test('each namespace keeps its own value under the same key', async () => {
  await sessions.set('ada', { user: 'ada', role: 'admin' });
  await carts.set('ada', ['tea', 'biscuits']);
  assert.deepEqual(await sessions.get('ada'), { user: 'ada', role: 'admin' });
  assert.deepEqual(await carts.get('ada'), ['tea', 'biscuits']);
});

test('a batch get returns each value in order, undefined for a miss', async () => {
  await carts.set('grace', ['coffee']);
  assert.deepEqual(await carts.get(['ada', 'grace', 'nobody']), [['tea', 'biscuits'], ['coffee'], undefined]);
});

test('clear() empties its own namespace and leaves the other namespace and other apps alone', async () => {
  assert.equal(await otherApp.set('check-other-app:greeting', 'hello', { ttl: 60 }), true);
  await sessions.clear();
  assert.equal(await sessions.get('ada'), undefined);
  assert.equal(await sessions.has('ada'), false);
  assert.deepEqual(await carts.get('ada'), ['tea', 'biscuits'], 'the other namespace lost its keys');
  assert.deepEqual(await carts.get('grace'), ['coffee']);
  assert.equal(
    await otherApp.get('check-other-app:greeting'),
    'hello',
    'clear() reached another app: flush_all?',
  );
});

test('a cleared namespace takes new writes at once', async () => {
  await sessions.set('ada', { user: 'ada', role: 'reader' });
  assert.deepEqual(await sessions.get('ada'), { user: 'ada', role: 'reader' });
});

test('another process sees a clear() on its next read', async () => {
  const elsewhere = createKeyv({ namespace: 'check-carts' }); // its own client and connections
  try {
    assert.deepEqual(await elsewhere.get('grace'), ['coffee']);
    await carts.clear();
    assert.equal(await elsewhere.get('grace'), undefined);
  } finally {
    await elsewhere.disconnect();
  }
});

test('TTLs expire: given per entry, under a second, or from the namespace default; no TTL stays', async () => {
  const shortLived = createKeyv({ namespace: 'check-short', ttl: 1_000 });
  shortLived.on('error', (error) => errors.push(error));
  try {
    await sessions.set('one-time-code', '493021', 1_000);
    await sessions.set('blink', 'gone soon', 300); // rounded up to 1 s: not 0, which memcached reads as "never"
    await shortLived.set('from-default', 'gone soon'); // the Keyv's default TTL of 1 s
    await carts.set('saved-for-later', ['jam']); // no TTL
    await sessions.set('remember-me', true); // the default of 60 s
    assert.equal(await sessions.get('one-time-code'), '493021');
    assert.equal(await sessions.get('blink'), 'gone soon');
    assert.equal(await shortLived.get('from-default'), 'gone soon');

    await Promise.all([
      expires('one-time-code (TTL 1000 ms)', () => sessions.get('one-time-code')),
      expires('blink (TTL 300 ms)', () => sessions.get('blink')),
      expires('from-default (default TTL 1000 ms)', () => shortLived.get('from-default')),
    ]);
    assert.deepEqual(await carts.get('saved-for-later'), ['jam']);
    assert.equal(await sessions.get('remember-me'), true);
  } finally {
    await shortLived.disconnect();
  }
});

test('no cache errors were reported', () => {
  assert.deepEqual(
    errors.map((error) => `${error.code}: ${error.message}`),
    [],
  );
});

test('the tour (npm start) runs to the end', async () => {
  const run = await runNode('index.mjs', 20_000);
  assert.equal(run.code, 0, `index.mjs exited with ${run.code}\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.stderr, '', 'the tour reported cache errors');
  assert.match(run.stdout, /sessions\.get\('ada'\)\s+→ undefined/);
  assert.match(run.stdout, /carts\.get\('ada'\)\s+→ \[ 'tea', 'biscuits' \]/);
  assert.match(run.stdout, /sessions\.get\('one-time-code'\)\s+→ undefined/);
});

/** Runs a script of this folder on this Node with this environment; killed by its pid if it hangs. */
function runNode(script, limitMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text) => {
      stderr += text;
    });
    const timer = setTimeout(() => {
      process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${script} did not finish within ${limitMs} ms:\n${stdout}\n${stderr}`));
    }, limitMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
