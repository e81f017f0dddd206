// The deliberately slow function of this example: think of a report that takes a second of database
// time to build. Everything here is about not building it more often than needed.
import { setTimeout as sleep } from 'node:timers/promises';

/** How long one build takes. */
export const BUILD_MS = 1_000;

/** Builds the named report, slowly; the result says which process built it and when. */
export async function buildReport(name) {
  await sleep(BUILD_MS);
  return { name, rows: [3, 1, 4, 1, 5], builtBy: process.pid, builtAt: new Date().toISOString() };
}
