// A tour of @memwire/cache-manager: cache-manager 7's `wrap` over memcached around a slow function.
// The first call runs it, the next ones are answered from memcached; callers that miss at the same
// moment share one run, in one process and, with `lock: true`, across processes.
//
//   MEMCACHE_SERVERS=127.0.0.1:11211 npm run start -w examples/cache-manager
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMemwireCache } from '@memwire/cache-manager';
import { BUILD_MS, buildReport } from './report.mjs';

// No servers given: MEMCACHIER_SERVERS / MEMCACHE_SERVERS (and credentials) as @memwire/core reads
// them, else 127.0.0.1:11211. TTLs are milliseconds, as everywhere in cache-manager.
const cache = createMemwireCache({ namespace: 'reports', ttl: 60_000 });
// Keyv answers memcached failures as misses and reports them here, on the memcached store.
cache.stores
  .at(-1)
  .on('error', (error) => console.error(`cache error: ${error.code ?? ''} ${error.message}`));

let builds = 0;
const build = (name) => () => {
  builds++;
  return buildReport(name);
};

async function timed(label, run) {
  const started = performance.now();
  const value = await run();
  console.log(`  ${label.padEnd(44)} ${(performance.now() - started).toFixed(1).padStart(7)} ms`);
  return value;
}

// Start cold, so the first call below is a miss even if the tour ran a minute ago. clear() bumps the
// namespace's generation: other namespaces and applications on the server keep their keys.
await cache.clear();

console.log(`wrap() around a function that takes ${BUILD_MS} ms:`);
const first = await timed("first wrap('daily'): runs the function", () =>
  cache.wrap('daily', build('daily')),
);
const second = await timed("second wrap('daily'): from memcached", () => cache.wrap('daily', build('daily')));
console.log(`  same report both times: ${first.builtAt === second.builtAt}; builds so far: ${builds}`);

console.log('\nTen callers miss the same key at once, in one process:');
const weekly = await timed("10 × wrap('weekly') together", () =>
  Promise.all(Array.from({ length: 10 }, () => cache.wrap('weekly', build('weekly')))),
);
console.log(`  ${weekly.length} answers, builds of 'weekly': ${builds - 1}`);

console.log('\nThree processes miss the same key at once (worker.mjs, with lock: true):');
const workers = await Promise.all([1, 2, 3].map(() => runWorker('monthly')));
for (const worker of workers) {
  console.log(
    `  process ${worker.pid}: ${worker.ran ? 'built the report' : 'waited, then read it from memcached'}`,
  );
}

await cache.clear();
await cache.disconnect();

/** Runs worker.mjs as its own process and resolves to the JSON line it prints. */
function runWorker(name) {
  return new Promise((resolve, reject) => {
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    const child = spawn(process.execPath, ['worker.mjs', name, 'reports'], {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text) => {
      stdout += text;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`worker.mjs exited with ${code}`));
    });
  });
}
