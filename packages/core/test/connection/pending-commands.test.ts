import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { StatusCommand } from '../../src/connection/commands.js';
import { PendingCommands } from '../../src/connection/pending-commands.js';
import { RetrievalCommand } from '../../src/connection/retrieval.js';
import type { ChunkWriter } from '../../src/connection/socket.js';
import { AbortError, TimeoutError } from '../../src/errors.js';
import type { Wire } from '../../src/protocol/encoder.js';

const TIMEOUT = 1_000;

/** A writer that records each flush's chunks, joined, and answers `roomLeft`. */
function recorder(roomLeft = true): ChunkWriter & { flushes: string[] } {
  const flushes: string[] = [];
  return {
    flushes,
    writeChunks(chunks: readonly Wire[]) {
      flushes.push(chunks.map((chunk) => chunk.toString()).join(''));
      return roomLeft;
    },
  };
}

function command(line: string, signal?: AbortSignal): StatusCommand {
  const made = new StatusCommand(`${line}\r\n`, 'DELETED');
  if (signal !== undefined) (made as { signal: AbortSignal | undefined }).signal = signal;
  // Failures are read through the promise in the tests that expect them.
  made.promise.catch(() => {});
  return made;
}

function getLine(keys: string[]): RetrievalCommand {
  const line = new RetrievalCommand((all) => `get ${all.join(' ')}\r\n`);
  for (const key of keys) line.add(key, { hit() {}, miss() {}, fail() {} } as never);
  return line;
}

describe('PendingCommands', () => {
  let overdue: ReturnType<typeof vi.fn<() => void>>;
  let pending: PendingCommands;

  beforeEach(() => {
    vi.useFakeTimers();
    overdue = vi.fn<() => void>();
    pending = new PendingCommands(
      { address: '127.0.0.1:11211', commandTimeout: TIMEOUT, maxPendingCommands: 5 },
      overdue,
    );
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  test('owes replies only for commands handed to the socket and not answered yet', () => {
    const a = command('delete a');
    const b = command('delete b');
    pending.write(a);
    // In the outbox, not on the wire: no reply can be on its way.
    expect(pending.owesReplies).toBe(false);
    pending.flushTo(recorder());
    expect(pending.owesReplies).toBe(true);
    pending.write(b);
    pending.complete();
    // a is answered; b is still unwritten.
    expect(pending.owesReplies).toBe(false);
    pending.flushTo(recorder());
    expect(pending.owesReplies).toBe(true);
    pending.complete();
    expect(pending.owesReplies).toBe(false);
  });

  test('writes admitted commands in order and matches replies to them in that order', () => {
    const a = command('delete a');
    const b = command('delete b');
    pending.write(a);
    pending.write(b);
    const writer = recorder();
    expect(pending.flushTo(writer)).toBe(true);
    expect(writer.flushes).toEqual(['delete a\r\ndelete b\r\n']);
    expect(pending.head()).toBe(a);
    pending.complete();
    expect(pending.head()).toBe(b);
    pending.complete();
    expect(pending.isEmpty).toBe(true);
  });

  test('says when the writer is full, so the connection waits for drain', () => {
    pending.write(command('delete a'));
    expect(pending.flushTo(recorder(false))).toBe(false);
  });

  test('counts a get line as one unit per key against maxPendingCommands', () => {
    pending.write(getLine(['a', 'b', 'c']));
    expect(pending.isFull(0)).toBe(false);
    expect(pending.isFull(1)).toBe(false);
    expect(pending.isFull(2)).toBe(true);
    pending.complete();
    expect(pending.isFull(4)).toBe(false);
  });

  test('holds commands unwritten until writeHeld, then writes them in order', () => {
    pending.hold(command('delete a'));
    pending.hold(command('delete b'));
    expect(pending.hasOutput).toBe(false);
    expect(pending.head()).toBeUndefined();
    pending.writeHeld();
    const writer = recorder();
    pending.flushTo(writer);
    expect(writer.flushes).toEqual(['delete a\r\ndelete b\r\n']);
  });

  test('a command aborted before it was written never reaches the writer', async () => {
    const controller = new AbortController();
    const kept = command('delete kept');
    const aborted = command('delete aborted', controller.signal);
    pending.write(kept);
    pending.write(aborted);
    pending.writeBytes('quit\r\n');
    controller.abort();
    const writer = recorder();
    pending.flushTo(writer);
    expect(writer.flushes).toEqual(['delete kept\r\nquit\r\n']);
    await expect(aborted.promise).rejects.toBeInstanceOf(AbortError);
    pending.complete();
    expect(pending.isEmpty).toBe(true);
    expect(pending.isFull(4)).toBe(false);
  });

  test('a held command aborted while connecting is failed, not written, when the connection is ready', async () => {
    const controller = new AbortController();
    const aborted = command('set x', controller.signal);
    pending.hold(aborted);
    controller.abort();
    pending.writeHeld();
    expect(pending.hasOutput).toBe(false);
    await expect(aborted.promise).rejects.toBeInstanceOf(AbortError);
  });

  test('failWritten fails every written command with the reason, in order, and drops unwritten bytes', async () => {
    const order: string[] = [];
    const a = command('delete a');
    const b = command('delete b');
    a.promise.catch(() => order.push('a'));
    b.promise.catch(() => order.push('b'));
    pending.write(a);
    pending.write(b);
    const reason = new Error('gone');
    pending.failWritten(reason);
    await expect(a.promise).rejects.toBe(reason);
    await expect(b.promise).rejects.toBe(reason);
    expect(order).toEqual(['a', 'b']);
    expect(pending.hasOutput).toBe(false);
    expect(pending.isEmpty).toBe(true);
  });

  test('tells the connection when the oldest written reply is overdue', () => {
    pending.write(command('delete a'));
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(overdue).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(overdue).toHaveBeenCalledTimes(1);
  });

  test('a held command past its deadline fails with a TimeoutError on its own', async () => {
    const held = command('delete a');
    pending.hold(held);
    vi.advanceTimersByTime(TIMEOUT);
    await expect(held.promise).rejects.toBeInstanceOf(TimeoutError);
    expect(overdue).not.toHaveBeenCalled();
    expect(pending.isEmpty).toBe(true);
  });

  test('re-arms for the next deadline, and keeps a single timer when the overdue handler admits commands', () => {
    pending.write(command('delete a'));
    vi.advanceTimersByTime(TIMEOUT / 2);
    pending.write(command('delete b'));
    // The connection tears down and admits a command again on a fresh connection, as on a reset.
    overdue.mockImplementation(() => {
      pending.failWritten(new Error('reset'));
      pending.hold(command('delete c'));
    });
    vi.advanceTimersByTime(TIMEOUT / 2);
    expect(overdue).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);
  });

  test('stops its timer once nothing is pending', () => {
    pending.write(command('delete a'));
    expect(vi.getTimerCount()).toBe(1);
    pending.failWritten(new Error('closed'));
    expect(vi.getTimerCount()).toBe(0);
    pending.hold(command('delete b'));
    pending.takeHeld();
    expect(vi.getTimerCount()).toBe(0);
  });
});
