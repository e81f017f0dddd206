// Finds the Node binaries the smoke test runs the built packages on. Plain ESM, no dependencies.
// Inside an npm script `node` is the `node` devDependency's Node 24 (npm puts node_modules/.bin first
// on PATH), so "the machine's Node" is the first `node` on PATH outside any node_modules folder.
import { accessSync, constants } from 'node:fs';
import { delimiter, join, sep } from 'node:path';

/** The first executable `node` on PATH that npm did not put there, or undefined. */
export function findMachineNode(env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.split(sep).includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}

/**
 * How to start each Node the smoke test covers, by major version: `command` + `args` run `node`.
 * - 20: the machine's own Node (Debian's, on CI), or `MEMWIRE_NODE20` (a contributor whose Node is 22
 *   points it at a Node 20).
 * - 22: the `node` npm package at ^22 through `npm exec` (kept in npm's cache), or `MEMWIRE_NODE22`.
 *   Not a `"node22": "npm:node@^22"` devDependency: that alias also declares a `node` bin, and npm
 *   then links node_modules/.bin/node to whichever it installed last, so the tools ran on Node 22.
 */
export function smokeTargets(env = process.env) {
  const node20 = env.MEMWIRE_NODE20 || findMachineNode(env);
  return [
    {
      major: 20,
      command: node20,
      args: [],
      from: env.MEMWIRE_NODE20 ? 'MEMWIRE_NODE20' : 'the first node on PATH outside node_modules',
    },
    env.MEMWIRE_NODE22
      ? { major: 22, command: env.MEMWIRE_NODE22, args: [], from: 'MEMWIRE_NODE22' }
      : {
          major: 22,
          command: 'npm',
          args: ['exec', '--yes', '--package=node@^22', '--', 'node'],
          from: 'npm exec --package=node@^22',
        },
  ];
}
