// Type-checks test/consumer-types/ under each tsconfig there (CommonJS without esModuleInterop,
// Node16, bundler, Nest's template), with skipLibCheck off: what a TypeScript user of the built
// packages sees. Part of `npm run typecheck`; run after `npm run build`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../test/consumer-types/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const failed = [];
for (const config of readdirSync(dir).filter((name) => /^tsconfig\..+\.json$/.test(name))) {
  const run = spawnSync(process.execPath, [tsc, '-p', `${dir}${config}`], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(config);
  else console.log(`consumer types: ${config} ok`);
}
if (failed.length > 0) {
  console.error(`consumer types failed under ${failed.join(', ')} (test/consumer-types/)`);
  process.exit(1);
}
