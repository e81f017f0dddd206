#!/usr/bin/env node
// The `memwire` bin. A committed file rather than dist/cli.mjs itself: npm links a workspace's bins at
// `npm install`, before anything is built, and skips a bin whose file does not exist, so in a fresh
// clone `npx memwire` failed with E404 even after `npm run build`. This file exists from the clone on.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  // Only in a clone of the repository: the published tarball always holds dist/.
  process.stderr.write('memwire: the CLI is not built yet; run `npm run build` at the repository root\n');
  process.exit(1); // ExitCode.FAILURE (src/exit-codes.ts): the tool cannot run
}
await import(cli.href);
