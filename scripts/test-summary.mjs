// The suite's closing line, after every step of `npm test` has passed: vitest's totals as one plain
// "N passed, N failed, N skipped" line, so whoever reads the end of the run reads the whole suite's
// count (the smoke tests before it print their own). Plain ESM, no dependencies: runs on Node 20.
import { readFileSync } from 'node:fs';

const results = JSON.parse(readFileSync(new URL('../.tmp/vitest-results.json', import.meta.url), 'utf8'));
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
if (results.numFailedTests > 0 || results.numPassedTests === 0) process.exitCode = 1;
