import { expect, test } from 'vitest';
import { ErrorCodes, MemwireError } from '../../packages/core/src/index.js';
import { keysByServer, nextEvent, sleep, startCluster, useClients, useCluster } from './helpers.js';

/**
 * Three real servers under concurrent load; one is killed with SIGKILL mid-load and restarted. What
 * must hold throughout: every call settles within commandTimeout + 1 s, nothing rejects unhandled, the
 * live servers' keys keep hitting, and the restarted server rejoins and serves its keys again.
 */
const newClient = useClients();
const servers = useCluster();

const WORKERS = 50;
const COMMAND_TIMEOUT = 1000;
const SETTLE_LIMIT_MS = COMMAND_TIMEOUT + 1000;
const valueFor = (key: string): string => `v:${key}`;

type Phase = 'before' | 'killing' | 'down' | 'restarting' | 'up';

test('kill -9 one of three servers under load, then restart it', { timeout: 30_000 }, async () => {
  await startCluster(servers, 3);
  const addresses = servers.map((server) => server.address);
  const client = newClient({
    servers: addresses,
    commandTimeout: COMMAND_TIMEOUT,
    retryDelay: 50,
    maxRetryDelay: 500,
  });
  const [a, b, c] = keysByServer(addresses, 50, 'chaos') as [string[], string[], string[]];
  const live = [...a, ...b];
  const all = [...live, ...c];
  await client.setMany(all.map((key) => [key, valueFor(key)] as const));
  const onDeadServer = new Set(c);

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);

  let phase: Phase = 'before';
  let stop = false;
  let ops = 0;
  let slowest = 0;
  /** Anything that must not happen: a live key missing, a wrong value, an unexpected error. */
  const violations: string[] = [];
  const deadServerOutcomes: Record<Phase, { hits: number; misses: number; errors: number }> = {
    before: { hits: 0, misses: 0, errors: 0 },
    killing: { hits: 0, misses: 0, errors: 0 },
    down: { hits: 0, misses: 0, errors: 0 },
    restarting: { hits: 0, misses: 0, errors: 0 },
    up: { hits: 0, misses: 0, errors: 0 },
  };

  /**
   * Runs one call, timing it from issue to settlement, and checks what it settled with against the
   * phase it was issued in.
   */
  const timed = async <T>(
    call: () => Promise<T>,
    check: (outcome: PromiseSettledResult<T>, issuedIn: Phase) => void,
  ) => {
    const issuedIn = phase;
    const start = performance.now();
    const outcome = await call().then(
      (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
      (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
    );
    slowest = Math.max(slowest, performance.now() - start);
    ops += 1;
    check(outcome, issuedIn);
  };

  const checkSingle = (
    key: string,
    kind: 'get' | 'set',
    outcome: PromiseSettledResult<unknown>,
    issuedIn: Phase,
  ): void => {
    const expected = kind === 'get' ? valueFor(key) : true;
    if (!onDeadServer.has(key)) {
      if (outcome.status === 'rejected') violations.push(`${kind} ${key} (live) failed: ${outcome.reason}`);
      else if (outcome.value !== expected) violations.push(`${kind} ${key} (live) gave ${outcome.value}`);
      return;
    }
    const tally = deadServerOutcomes[issuedIn];
    if (outcome.status === 'rejected') {
      const error = outcome.reason;
      const expectedError =
        error instanceof MemwireError &&
        (error.code === ErrorCodes.CONNECTION || error.code === ErrorCodes.TIMEOUT) &&
        error.server === addresses[2];
      if (!expectedError) violations.push(`${kind} ${key}: unexpected ${error}`);
      tally.errors += 1;
    } else if (outcome.value === expected) {
      tally.hits += 1;
    } else if (kind === 'get' && outcome.value === undefined) {
      tally.misses += 1;
    } else {
      violations.push(`${kind} ${key} gave ${outcome.value}`);
    }
  };

  const worker = async (w: number): Promise<void> => {
    for (let round = 0; !stop; round++) {
      const i = round * WORKERS + w;
      const key = all[(i * 7919 + round) % all.length]!;
      if (round % 10 === 0) {
        // A multi-get over all three servers: the live servers' share must always come back.
        const keys = [a[i % a.length]!, b[i % b.length]!, c[i % c.length]!];
        await timed(
          () => client.getMany(keys, { onServerError: 'miss' }),
          (outcome) => {
            if (outcome.status === 'rejected') violations.push(`getMany failed: ${outcome.reason}`);
            else if (
              outcome.value.get(keys[0]!) !== valueFor(keys[0]!) ||
              outcome.value.get(keys[1]!) !== valueFor(keys[1]!)
            ) {
              violations.push(`getMany missed a live key: ${[...outcome.value.keys()]}`);
            }
          },
        );
      } else if (round % 2 === 0) {
        await timed(
          () => client.get(key),
          (outcome, issuedIn) => checkSingle(key, 'get', outcome, issuedIn),
        );
      } else {
        await timed(
          () => client.set(key, valueFor(key)),
          (outcome, issuedIn) => checkSingle(key, 'set', outcome, issuedIn),
        );
      }
    }
  };

  try {
    const down = nextEvent(client, 'serverDown', 10_000);
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await sleep(500);

    phase = 'killing';
    await servers[2]!.kill();
    phase = 'down';
    expect((await down).server).toBe(addresses[2]);
    await sleep(1000);

    phase = 'restarting';
    const up = nextEvent(client, 'serverUp', 10_000);
    await servers[2]!.restart();
    expect(await up).toEqual({ server: addresses[2] });
    phase = 'up';
    await sleep(1000);

    stop = true;
    await Promise.all(workers);
  } finally {
    stop = true;
    process.off('unhandledRejection', onUnhandled);
  }

  expect(violations.slice(0, 10)).toEqual([]);
  expect(unhandled).toEqual([]);
  expect(slowest).toBeLessThan(SETTLE_LIMIT_MS);
  expect(ops).toBeGreaterThan(10_000);
  // Before the kill its keys hit (calls in flight when it died may fail); once it was dead they
  // missed or failed fast; back up, they hit again.
  expect(deadServerOutcomes.before.misses).toBe(0);
  expect(deadServerOutcomes.before.hits).toBeGreaterThan(0);
  expect(deadServerOutcomes.down.hits).toBe(0);
  expect(deadServerOutcomes.down.misses + deadServerOutcomes.down.errors).toBeGreaterThan(0);
  expect(deadServerOutcomes.up.hits).toBeGreaterThan(0);
  expect(deadServerOutcomes.up.errors).toBe(0);
  expect(client.downServers).toEqual([]);
});
