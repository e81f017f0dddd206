// CI's check of this example: Django (its PyMemcacheCache backend, with KEY_PREFIX and VERSION) and the
// Node service share the memcached of MEMCACHE_SERVERS (one server; default 127.0.0.1:11211). Django
// runs as django_app.py on Debian's /usr/bin/python3 (MEMWIRE_PYTHON overrides it), which needs
// python3-django and python3-pymemcache. Exits 0 only if every check passes (node:test sets the code).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, pymemcacheCodec, rawCodec } from '@memwire/core';
import { createService } from './app.mjs';
import { createDjangoCache, DJANGO_CACHE } from './cache.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Debian's python3-django is installed for /usr/bin/python3; a `python3` on PATH may be another. */
const PYTHON =
  process.env.MEMWIRE_PYTHON ||
  (process.platform === 'linux' && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
/** Generous: a Python run takes well under a second; this only stops a hung one from hanging the check. */
const PYTHON_LIMIT_MS = 20_000;

const cache = createDjangoCache();
const service = createService(cache);
let base;

/** Runs `django_app.py ARGS` (Django's side) and returns the JSON it prints. */
function django(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['django_app.py', ...args], { cwd: here, env: { ...process.env, ...env } });
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
      reject(new Error(`django_app.py ${args.join(' ')} did not finish within ${PYTHON_LIMIT_MS} ms`));
    }, PYTHON_LIMIT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PYTHON}: ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`django_app.py ${args.join(' ')} exited with ${code}:\n${stderr.trim()}`));
    });
  });
}

async function request(method, path) {
  const response = await fetch(base + path, { method });
  return { status: response.status, body: await response.json() };
}

before(async () => {
  try {
    await cache.version();
  } catch (error) {
    throw new Error(
      `no memcached at ${cache.servers.join(', ')} (${error.code}): start one, or set MEMCACHE_SERVERS`,
    );
  }
  // Checks for Django and pymemcache before anything else, so their absence is one clear message.
  await django(['read']).catch((error) => {
    throw new Error(
      `${error.message}\nDjango's side needs python3-django and python3-pymemcache for ${PYTHON}: ` +
        'run `node scripts/ensure-memcached.mjs` at the repository root, or apt-get install them',
    );
  });
  await new Promise((resolve) => service.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${service.address().port}`;
  await django(['write']);
});

after(async () => {
  await new Promise((resolve) => service.close(resolve));
  await cache.close();
});

test('Node reads what Django wrote: str, int, float, bool, None, bytes and an int past 2**64', async () => {
  const found = await cache.getMany([
    'product:42',
    'stock:42',
    'price:42',
    'on-sale',
    'banner',
    'thumbnail:42',
    'page-views',
    'discontinued',
  ]);
  assert.deepEqual(Object.fromEntries(found), {
    'product:42': '{"name": "Earl Grey", "tags": ["tea", "black"]}',
    'stock:42': 17,
    'price:42': 12.5,
    'on-sale': true,
    banner: 'Soldes d’été — 20 % de réduction ☕',
    'thumbnail:42': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
    'page-views': 10n ** 20n,
    discontinued: null,
  });
});

test('the Node service answers from what Django cached', async () => {
  const product = await request('GET', '/products/42');
  assert.equal(product.status, 200, JSON.stringify(product.body));
  assert.deepEqual(product.body, {
    id: '42',
    name: 'Earl Grey',
    tags: ['tea', 'black'],
    stock: 17,
    price: 12.5,
    onSale: true,
    banner: 'Soldes d’été — 20 % de réduction ☕',
  });
  const missing = await request('GET', '/products/7');
  assert.equal(missing.status, 404);
});

test("Django reads what the Node service wrote: decr keeps Django's int, a str stays a str", async () => {
  const sold = await request('POST', '/products/42/sell');
  assert.deepEqual(sold, { status: 200, body: { id: '42', stock: 16 } });
  const read = await django(['read', 'stock:42', 'last-sold:42']);
  assert.deepEqual(read['stock:42'], { type: 'int', value: '16' });
  assert.equal(read['last-sold:42'].type, 'str');
  assert.ok(!Number.isNaN(Date.parse(read['last-sold:42'].value)), read['last-sold:42'].value);
});

test('Django reads every type Node writes with pymemcacheCodec() as its Python type', async () => {
  const written = {
    'from-node:text': 'héllo wörld, 日本語',
    'from-node:count': 42,
    'from-node:huge': 2n ** 70n,
    'from-node:ratio': 0.1 + 0.2,
    'from-node:flag': false,
    'from-node:nothing': null,
    'from-node:bytes': Buffer.from([0, 13, 10, 255]),
  };
  for (const [key, value] of Object.entries(written)) assert.equal(await cache.set(key, value), true, key);
  assert.deepEqual(await django(['read', ...Object.keys(written)]), {
    'from-node:text': { type: 'str', value: 'héllo wörld, 日本語' },
    'from-node:count': { type: 'int', value: '42' },
    'from-node:huge': { type: 'int', value: '1180591620717411303424' },
    'from-node:ratio': { type: 'float', value: '0.30000000000000004' },
    'from-node:flag': { type: 'bool', value: false },
    'from-node:nothing': { type: 'NoneType', value: null },
    'from-node:bytes': { type: 'bytes', value: Buffer.from([0, 13, 10, 255]).toString('base64') },
  });
});

test("Django's cache.incr and Node's incr count on the same counter", async () => {
  await cache.set('visits', 10);
  assert.deepEqual(await django(['incr', 'visits']), { value: 11 });
  assert.equal(await cache.incr('visits', 1), 12);
  assert.deepEqual((await django(['read', 'visits'])).visits, { type: 'int', value: '12' });
});

test("keys are Django's KEY_PREFIX:VERSION:key, and another VERSION sees none of them", async () => {
  const raw = createClient({ codec: rawCodec });
  const otherVersion = createDjangoCache({ version: DJANGO_CACHE.version + 1 });
  try {
    const wireKey = `${DJANGO_CACHE.prefix}:${DJANGO_CACHE.version}:stock:42`;
    assert.equal((await raw.get(wireKey))?.toString(), '16', `nothing under ${wireKey}`);
    assert.equal(await otherVersion.get('stock:42'), undefined);
    const pythonSide = await django(['read', 'stock:42'], {
      DJANGO_CACHE_VERSION: String(DJANGO_CACHE.version + 1),
    });
    assert.deepEqual(pythonSide['stock:42'], { type: 'missing' });
  } finally {
    await Promise.all([raw.close(), otherVersion.close()]);
  }
});

test('a pickled dict is refused with ERR_MEMWIRE_CODEC, never guessed at', async () => {
  await assert.rejects(cache.get('cart:ada'), { code: 'ERR_MEMWIRE_CODEC' });
  // Asked to, the codec hands over the pickle's bytes instead (protocol 2+ pickles start with 0x80).
  const lenient = createDjangoCache({ codec: pymemcacheCodec({ unreadable: 'raw' }) });
  try {
    const bytes = await lenient.get('cart:ada');
    assert.ok(Buffer.isBuffer(bytes) && bytes[0] === 0x80, `not a pickle: ${bytes?.toString('hex')}`);
  } finally {
    await lenient.close();
  }
});

test('an object Python could only read as a pickle is refused before anything is sent', async () => {
  await assert.rejects(cache.set('cart:grace', { items: [42] }), { code: 'ERR_MEMWIRE_INVALID_VALUE' });
  assert.deepEqual((await django(['read', 'cart:grace']))['cart:grace'], { type: 'missing' });
});
