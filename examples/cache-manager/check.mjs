// CI's check of this example: the scenario of index.mjs with assertions, against the memcached of
// MEMCACHE_SERVERS (or MEMCACHIER_SERVERS, with credentials if set; else 127.0.0.1:11211).
// Exits 0 only if every check passes (node:test sets the exit code; failures print a diff).
//
// "Fast from cache" is checked by what happened, not by the clock: the slow function did not run
// again and the very same result came back. Timings are printed as diagnostics only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMemwireCache } from '@memwire/cache-manager';
import { createClient } from '@memwire/core';
import { BUILD_MS, buildReport } from './report.mjs';

const NAMESPACE = 'check-reports';
const here = fileURLToPath(new URL('.', import.meta.url));

const cache = createMemwireCache({ namespace: NAMESPACE, ttl: 60_000 });
const errors = [];
cache.stores.at(-1).on('error', (error) => errors.push(error));

/** Builds per report name, by this process. */
const builds = new Map();
const build = (name) => () => {
  builds.set(name, (builds.get(name) ?? 0) + 1);
  return buildReport(name);
};

async function timed(run) {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

before(async () => {
  // Keyv turns connection errors into misses, which would read as confusing assertion failures: ask
  // the server directly first, so a missing memcached is one clear message.
  const probe = createClient();
  try {
    await probe.version();
  } catch (error) {
    throw new Error(
      `no memcached at ${probe.servers.join(', ')} (${error.code}): start one, or set MEMCACHE_SERVERS`,
    );
  } finally {
    await probe.close();
  }
  await cache.clear(); // earlier runs' entries are never read again
});

after(async () => {
  await cache.clear();
  await cache.disconnect();
});

let daily;

test('the first wrap runs the slow function once and returns its result', async (t) => {
  const first = await timed(() => cache.wrap('daily', build('daily')));
  t.diagnostic(`first call: ${first.ms.toFixed(1)} ms`);
  assert.equal(builds.get('daily'), 1);
  assert.equal(first.value.name, 'daily');
  assert.equal(first.value.builtBy, process.pid);
  // A lower bound only, which no slow machine can break: the call waited for the function.
  assert.ok(first.ms >= BUILD_MS - 5, `the first call took ${first.ms} ms, less than the function`);
  daily = first.value;
});

test('the second wrap is answered from the cache without running the function', async (t) => {
  const second = await timed(() => cache.wrap('daily', build('daily')));
  t.diagnostic(`second call: ${second.ms.toFixed(1)} ms`);
  assert.equal(builds.get('daily'), 1, 'the slow function ran again');
  assert.deepEqual(second.value, daily);
});

test('the result is in memcached: a cache on its own connection reads it without building', async () => {
  const elsewhere = createMemwireCache({ namespace: NAMESPACE, ttl: 60_000 });
  try {
    assert.deepEqual(await elsewhere.get('daily'), daily);
    assert.deepEqual(await elsewhere.wrap('daily', build('daily')), daily);
    assert.equal(builds.get('daily'), 1);
  } finally {
    await elsewhere.disconnect();
  }
});

test('concurrent callers in one process share one run of the function', async () => {
  const answers = await Promise.all(Array.from({ length: 10 }, () => cache.wrap('weekly', build('weekly'))));
  assert.equal(builds.get('weekly'), 1, `the function ran ${builds.get('weekly')} times for 10 callers`);
  for (const answer of answers) assert.deepEqual(answer, answers[0]);
});

test('processes that miss at once run it once between them (lock: true)', async () => {
  const workers = await Promise.all([1, 2, 3].map(() => runWorker('monthly')));
  const builders = workers.filter((worker) => worker.ran);
  assert.equal(builders.length, 1, `built by ${builders.length} of 3 processes: ${JSON.stringify(workers)}`);
  for (const worker of workers) assert.deepEqual(worker.report, builders[0].report);
  assert.deepEqual(await cache.get('monthly'), builders[0].report);
});

test('clear() empties the namespace, so the next wrap runs the function again', async () => {
  await cache.clear();
  assert.equal(await cache.get('daily'), undefined);
  const rebuilt = await cache.wrap('daily', build('daily'));
  assert.equal(builds.get('daily'), 2);
  assert.notEqual(rebuilt.builtAt, daily.builtAt);
});

test('no cache errors were reported', () => {
  assert.deepEqual(
    errors.map((error) => `${error.code}: ${error.message}`),
    [],
  );
});

test('the tour (npm start) runs to the end', async () => {
  const run = await runNode(['index.mjs'], 30_000);
  assert.equal(run.code, 0, `index.mjs exited with ${run.code}\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.stderr, '', 'the tour reported errors');
  assert.match(run.stdout, /same report both times: true; builds so far: 1/);
  assert.match(run.stdout, /builds of 'weekly': 1/);
  assert.equal(run.stdout.match(/built the report/g)?.length, 1, run.stdout);
});

/** Runs worker.mjs in its own process and returns the JSON line it printed. */
async function runWorker(name) {
  const run = await runNode(['worker.mjs', name, NAMESPACE], 20_000);
  assert.equal(run.code, 0, `worker.mjs exited with ${run.code}\n${run.stderr}`);
  assert.equal(run.stderr, '', 'a worker reported errors');
  return JSON.parse(run.stdout);
}

/** Runs `node ARGS` in this folder with this environment; killed by its pid if it hangs. */
function runNode(args, limitMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: here, env: process.env });
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
      reject(new Error(`node ${args.join(' ')} did not finish within ${limitMs} ms:\n${stdout}\n${stderr}`));
    }, limitMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
