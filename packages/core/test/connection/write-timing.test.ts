import { describe, expect, test } from 'vitest';
import { type ReplyDebtors, WriteTiming } from '../../src/connection/write-timing.js';

/** Connections as WriteTiming sees them: each owes replies or not. */
function debtors(owing: Map<object, boolean>): ReplyDebtors {
  return {
    owesReplies: (except) => [...owing].some(([connection, owes]) => connection !== except && owes),
  };
}

/** The order in which `flushes` ran against a nextTick and a setImmediate queued just after them. */
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

  test('writes at the end of the tick when no other connection owes replies', async () => {
    // The connection itself owing replies does not count: its own reply is being read now.
    const timing = new WriteTiming(() => [
      debtors(
        new Map([
          [a, true],
          [b, false],
        ]),
      ),
    ]);
    expect(await order((log) => timing.schedule(a, () => log.push('a')))).toEqual(['a', 'tick end']);
  });

  test('waits for the poll phase while another connection owes replies, then writes every due connection', async () => {
    const owing = new Map([
      [a, false],
      [b, true],
      [c, false],
    ]);
    const timing = new WriteTiming(() => [debtors(owing)]);
    const log = await order((log) => {
      timing.schedule(a, () => log.push('a'));
      timing.schedule(c, () => log.push('c'));
    });
    expect(log).toEqual(['tick end', 'a', 'c']);
  });

  test('asks every group of connections (every server of the client)', async () => {
    const timing = new WriteTiming(() => [debtors(new Map([[a, false]])), debtors(new Map([[b, true]]))]);
    expect(await order((log) => timing.schedule(a, () => log.push('a')))).toEqual(['tick end', 'a']);
  });

  test('a flush due after the poll phase that schedules again is written in a later turn, not lost', async () => {
    const timing = new WriteTiming(() => [debtors(new Map([[b, true]]))]);
    const log: string[] = [];
    timing.schedule(a, () => {
      log.push('first');
      timing.schedule(a, () => log.push('second'));
    });
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(log).toEqual(['first', 'second']);
  });
});
