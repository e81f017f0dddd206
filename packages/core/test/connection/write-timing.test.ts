import { describe, expect, test } from 'vitest';
import { type ReplyDebtors, WriteTiming } from '../../src/connection/write-timing.js';

/** A server as WriteTiming sees it: its connections, each owing replies or not (as ServerPool answers). */
function server(connections: Map<object, boolean>): ReplyDebtors {
  return {
    owesReplies: (except) => !connections.has(except) && [...connections.values()].some((owes) => owes),
  };
}

/** The order in which the scheduled flushes ran, against a nextTick queued just after them. */
async function order(schedule: (log: string[]) => void): Promise<string[]> {
  const log: string[] = [];
  schedule(log);
  process.nextTick(() => log.push('tick end'));
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
  return log;
}

describe('WriteTiming', () => {
  const a = {};
  const b = {};
  const c = {};

  test('writes at the end of the tick when no other server owes replies', async () => {
    // Its own server owing does not count (its reply is what is being read), nor does a sibling's.
    const timing = new WriteTiming(() => [
      server(
        new Map([
          [a, true],
          [b, true],
        ]),
      ),
      server(new Map([[c, false]])),
    ]);
    expect(await order((log) => timing.schedule(a, () => log.push('a')))).toEqual(['a', 'tick end']);
  });

  test('waits for the poll phase while another server owes replies, then writes every due connection', async () => {
    const timing = new WriteTiming(() => [
      server(new Map([[a, false]])),
      server(new Map([[b, true]])),
      server(new Map([[c, false]])),
    ]);
    const log = await order((log) => {
      timing.schedule(a, () => log.push('a'));
      timing.schedule(c, () => log.push('c'));
    });
    expect(log).toEqual(['tick end', 'a', 'c']);
  });

  test('a flush due after the poll phase that schedules again is written in the next turn, not lost', async () => {
    const timing = new WriteTiming(() => [server(new Map([[a, false]])), server(new Map([[b, true]]))]);
    const log: string[] = [];
    timing.schedule(a, () => {
      log.push('first');
      timing.schedule(a, () => log.push('second'));
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(log).toEqual(['first']);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(log).toEqual(['first', 'second']);
  });

  test('a flush that throws does not keep the other due connections from being written', async () => {
    const errors: unknown[] = [];
    const timing = new WriteTiming(
      () => [
        server(
          new Map([
            [a, false],
            [c, false],
          ]),
        ),
        server(new Map([[b, true]])),
      ],
      (error) => errors.push(error),
    );
    const boom = new Error('no socket');
    const log = await order((log) => {
      timing.schedule(a, () => {
        throw boom;
      });
      timing.schedule(c, () => log.push('c'));
    });
    expect(log).toEqual(['tick end', 'c']);
    expect(errors).toEqual([boom]);
  });
});
