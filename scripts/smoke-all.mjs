// `npm run smoke`: runs scripts/smoke-node20.mjs on the Nodes the packages promise (`engines: >=20`)
// but the tools (Node 24) do not prove: the machine's Node 20 and Node 22 from the npm registry.
// Usage: node scripts/smoke-all.mjs [20|22 ...] (default: all). Each run asserts its own version.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { smokeTargets } from './machine-node.mjs';

const wanted = process.argv.slice(2).map(Number);
const targets = smokeTargets().filter(({ major }) => wanted.length === 0 || wanted.includes(major));
if (targets.length === 0) throw new Error(`no smoke target for ${process.argv.slice(2).join(' ')}`);
const script = fileURLToPath(new URL('smoke-node20.mjs', import.meta.url));
let failed = 0;
for (const { major, command, args, from } of targets) {
  if (command === undefined) {
    console.error(`smoke: no Node ${major} found (${from}); set MEMWIRE_NODE${major} to its path`);
    failed++;
    continue;
  }
  const run = spawnSync(command, [...args, script], {
    stdio: 'inherit',
    env: { ...process.env, MEMWIRE_SMOKE_NODE_MAJOR: String(major) },
  });
  if (run.error || run.status !== 0) {
    console.error(
      `smoke: Node ${major} from ${from} (${command}) failed${run.error ? `: ${run.error.message}` : ''}`,
    );
    failed++;
  }
}
if (failed > 0) process.exit(1);
