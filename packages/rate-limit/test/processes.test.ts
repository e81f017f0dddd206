import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type MemcachedServer, runNodeScript } from '../../../test/support/index.js';
import { freshKey, harness } from './helpers.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = harness();
let server: MemcachedServer;

beforeAll(async () => {
  // The children load the build: made afresh, so they never count with an older one.
  execFileSync(process.execPath, [resolve(packageDir, '../../node_modules/tsdown/dist/run.mjs')], {
    cwd: packageDir,
    stdio: 'ignore',
  });
  server = await env.server();
}, 120_000);
afterAll(() => env.cleanup());

/**
 * One child: waits for the common start time (so every process hammers at once), then counts
 * `hits` hits on `key`, 25 in flight at a time, and prints every count it was answered.
 */
const CHILD = `
const [address, key, hits, startAt] = process.argv.slice(1);
const { RateLimitCounter } = await import(${JSON.stringify(pathToFileURL(resolve(packageDir, 'dist/index.mjs')).href)});
const counter = new RateLimitCounter({ env: {}, servers: address, windowMs: 1e12 });
const seen = [];
let left = Number(hits);
await new Promise((go) => setTimeout(go, Math.max(0, Number(startAt) - Date.now())));
await Promise.all(Array.from({ length: 25 }, async () => {
  while (left > 0) {
    left -= 1;
    const result = await counter.increment(key);
    if (result.unavailable) throw result.unavailable;
    seen.push(result.totalHits);
  }
}));
await counter.close();
console.log(JSON.stringify(seen));
`;

test('several processes hammering one key: the count equals the requests made, each count answered once', async () => {
  const processes = 4;
  const hitsEach = 250;
  const key = freshKey('hammered');
  // A window of ~31 years: the whole run falls in one window, so every hit lands on one counter.
  const startAt = String(Date.now() + 1500);
  const runs = await Promise.all(
    Array.from({ length: processes }, () =>
      runNodeScript(CHILD, { args: [server.address, key, String(hitsEach), startAt], limitMs: 60_000 }),
    ),
  );
  for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
  const answered = runs.flatMap((run) => JSON.parse(run.stdout) as number[]).sort((a, b) => a - b);
  expect(answered).toEqual(Array.from({ length: processes * hitsEach }, (_, i) => i + 1));
  const counter = env.counter(server, { windowMs: 1e12 });
  expect((await counter.get(key))?.totalHits).toBe(processes * hitsEach);
  await counter.reset(key);
}, 120_000);
