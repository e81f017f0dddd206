/**
 * Delay before the next reconnect after `failures` consecutive failures: exponential from `initial`,
 * capped at `max`, with "equal jitter" (half fixed, half random) so that many clients restarting
 * together do not reconnect in lockstep.
 */
export function backoffDelay(
  failures: number,
  initial: number,
  max: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(max, initial * 2 ** Math.max(0, failures - 1));
  return exponential / 2 + (random() * exponential) / 2;
}
