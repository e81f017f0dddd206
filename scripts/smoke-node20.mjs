// The published packages must work on Node 20 and 22, although the tools run on 24.
// `npm run smoke` (scripts/smoke-all.mjs) runs this on the machine's own Node 20 and on the node22
// devDependency: every package's ESM and CommonJS builds load, the CLI runs, and the core talks to a
// real memcached and lets the process exit.
import { createRequire } from 'node:module';
import { startMemcached } from '../test/support/servers/index.mjs';

const require = createRequire(import.meta.url);
// scripts/smoke-all.mjs says which major it meant to start (20 unless told): a run that landed on the
// tools' Node 24 instead would prove nothing about `engines: >=20`, so it fails loudly.
const { env } = process; // not a turbo task: no turbo.json entry needed
const expected = env.MEMWIRE_SMOKE_NODE_MAJOR || '20';
console.log(`smoke test on Node ${process.version} (${process.execPath})`);
if (!process.version.startsWith(`v${expected}.`)) {
  console.error(
    `smoke: expected Node ${expected}, but ${process.execPath} is ${process.version}; run \`npm run smoke\` ` +
      `(it finds Node ${expected}), or set MEMWIRE_NODE${expected} to a Node ${expected} binary`,
  );
  process.exit(1);
}

// Every published package must load both ways on this Node, whatever its dependencies need.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const packagesDir = new URL('../packages/', import.meta.url);
for (const name of readdirSync(packagesDir)) {
  const pkg = JSON.parse(readFileSync(new URL(`${name}/package.json`, packagesDir), 'utf8'));
  if (pkg.private) continue;
  const esmModule = await import(new URL(`${name}/dist/index.mjs`, packagesDir).href);
  const cjsModule = require(new URL(`${name}/dist/index.cjs`, packagesDir).pathname);
  if (Object.keys(esmModule).length === 0 || Object.keys(cjsModule).length === 0) {
    throw new Error(`${pkg.name}: a build exports nothing`);
  }
  console.log(`  ${pkg.name}: ESM and CommonJS builds load (${Object.keys(esmModule).length} exports)`);
}
// The CLI's binary (the bin shim npm links, which loads dist/cli.mjs) runs on this Node too.
const help = execFileSync(
  process.execPath,
  [new URL('cli/bin/memwire.mjs', packagesDir).pathname, '--help'],
  {
    encoding: 'utf8',
  },
);
if (!help.includes('doctor')) throw new Error('memwire --help does not list doctor');
console.log('  memwire --help runs');

const esm = await import('../packages/core/dist/index.mjs');
const cjs = require('../packages/core/dist/index.cjs');
const server = await startMemcached();
let failed = false;
try {
  for (const [name, core] of [
    ['ESM', esm],
    ['CommonJS', cjs],
  ]) {
    const client = core.createClient({ servers: server.address, env: {} });
    const value = { built: name, bytes: [0, 13, 10] };
    if (!(await client.set(`smoke:${name}`, value))) throw new Error(`${name}: set failed`);
    const back = await client.get(`smoke:${name}`);
    if (JSON.stringify(back) !== JSON.stringify(value))
      throw new Error(`${name}: got ${JSON.stringify(back)}`);
    await client.get('bad key').then(
      () => {
        throw new Error(`${name}: an invalid key was accepted`);
      },
      (error) => {
        if (error.code !== 'ERR_MEMWIRE_INVALID_KEY') throw error;
      },
    );
    await client.close();
    console.log(`  ${name} build: set/get/close ok`);
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await server.stop();
}
// Nothing may keep the process alive after close(): if this line is reached and the process lingers,
// the unref'd timer below fails the smoke test.
setTimeout(() => {
  console.error('the process did not exit after close(): something keeps it alive');
  process.exit(1);
}, 3000).unref();
if (failed) process.exitCode = 1;
else console.log('1 passed, 0 failed');
