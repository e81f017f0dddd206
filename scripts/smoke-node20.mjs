// The published packages must work on the machine's own Node (20), although the tools run on 24.
// `npm run smoke:node20` runs this with npm's own Node ($npm_node_execpath); it loads the built core
// both ways (ESM and CommonJS), talks to a real memcached, and checks that close() lets the process exit.
import { createRequire } from 'node:module';
import { startLocalMemcached } from './local-memcached.mjs';

const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);
console.log(`smoke test on Node ${process.version} (${process.execPath})`);
if (major < 20) throw new Error('the packages support Node 20 and later');

const esm = await import('../packages/core/dist/index.mjs');
const cjs = require('../packages/core/dist/index.cjs');
const server = await startLocalMemcached();
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
