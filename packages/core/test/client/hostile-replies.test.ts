import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type FakeServer,
  type MemcachedServer,
  startFakeServer,
  startMemcached,
} from '../../../../test/support/index.js';
import { ErrorCodes, ProtocolError } from '../../src/index.js';
import { answerLines, settleWithin, uniqueKey, useClients } from './helpers.js';

// What memcached (or anything on the path) sends is input, not truth: a reply may declare any length
// and send any number of bytes. These fakes send what a real server never would.

const newClient = useClients();

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

let server: MemcachedServer;
beforeAll(async () => {
  server = await startMemcached({ args: ['-I', '4m'] });
});
afterAll(() => server.stop());

/** Writes `total` bytes of `byte` in 64 KiB chunks, stopping when the client hangs up. */
function stream(socket: Socket, byte: number, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, byte);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !socket.destroyed) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

describe('a VALUE header declaring more than maxReplyValueSize', () => {
  test('fails the get with a ProtocolError at once, the commands behind it typed, then recovers', async () => {
    let attacks = 0;
    fake = await startFakeServer(
      answerLines((line) => {
        if (line === 'get big' && attacks++ === 0) {
          // Declares 1 GiB; the bytes that follow are never enough to finish it.
          return 'VALUE big 0 1073741824\r\n';
        }
        if (line.startsWith('get ')) return 'END\r\n';
        return undefined;
      }),
    );
    const client = newClient({ servers: fake.address, poolSize: 1, commandTimeout: 3000 });
    const big = client.get('big');
    const behind = client.delete('other');
    const [bigOutcome, behindOutcome] = await Promise.all([
      settleWithin(big, 2500),
      settleWithin(behind, 2500),
    ]);
    expect(bigOutcome.status).toBe('rejected');
    const error = (bigOutcome as PromiseRejectedResult).reason as ProtocolError;
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.code).toBe(ErrorCodes.PROTOCOL);
    expect(error.message).toMatch(/1073741824 bytes exceeds the 16777216-byte limit/);
    expect(behindOutcome.status).toBe('rejected');
    expect((behindOutcome as PromiseRejectedResult).reason.code).toBe(ErrorCodes.PROTOCOL);
    // The connection was reset: the next command reconnects and is answered.
    expect(await client.get('big')).toBeUndefined();
    expect(fake.connections).toBe(2);
  });

  test('a value within the declared length but over the option is refused; one under it is read', async () => {
    fake = await startFakeServer(
      answerLines((line) => {
        if (line === 'get large') return `VALUE large 0 6000\r\n${'x'.repeat(6000)}\r\nEND\r\n`;
        if (line === 'get small') return `VALUE small 0 4000\r\n${'y'.repeat(4000)}\r\nEND\r\n`;
        return undefined;
      }),
    );
    const client = newClient({ servers: fake.address, maxReplyValueSize: 5000, commandTimeout: 3000 });
    await expect(client.get('large')).rejects.toMatchObject({ code: ErrorCodes.PROTOCOL });
    expect(await client.get('small')).toBe('y'.repeat(4000));
  });

  test('the default reads a 3 MiB item another client wrote to a memcached run with -I 4m', async () => {
    const key = uniqueKey('big-item');
    const writer = newClient({ servers: server.address, maxValueSize: 4 * 1024 * 1024 });
    const data = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    expect(await writer.set(key, data)).toBe(true);
    // A reader with the default maxValueSize (1 MiB) may not write this item, but reads it.
    const reader = newClient({ servers: server.address });
    expect(await reader.get(key)).toEqual(data);
  });
});

describe('a reply that never ends', () => {
  test('a reply line of 20 MB without \\n fails with a ProtocolError, not a growing buffer', async () => {
    fake = await startFakeServer((socket, chunk) => {
      if (chunk.includes('get ')) stream(socket, 0x41, 20 * 1024 * 1024);
    });
    const client = newClient({ servers: fake.address, commandTimeout: 3000 });
    const outcome = await settleWithin(client.get('k'), 2500);
    expect(outcome.status).toBe('rejected');
    expect((outcome as PromiseRejectedResult).reason.code).toBe(ErrorCodes.PROTOCOL);
  });

  test('STAT lines without END beyond maxReplyValueSize fail stats() with a ProtocolError', async () => {
    fake = await startFakeServer((socket, chunk) => {
      if (!chunk.includes('stats')) return;
      const lines = Buffer.from('STAT pad 0123456789012345678901234567890123456789\r\n'.repeat(1000));
      let sent = 0;
      const pump = (): void => {
        while (sent < 200 && !socket.destroyed) {
          sent += 1;
          if (!socket.write(lines)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const client = newClient({ servers: fake.address, maxReplyValueSize: 1024 * 1024, commandTimeout: 3000 });
    const outcome = await settleWithin(client.stats(), 2500);
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason as ProtocolError;
    expect(error.code).toBe(ErrorCodes.PROTOCOL);
    expect(error.message).toMatch(/stats reply longer than 1048576 bytes/);
  });
});

describe('a multi-get answered out of the order asked', () => {
  // memcached answers in the order asked (the client matches a reply by one pass over the keys), but a
  // proxy may gather a multi-get's parts from several servers as they come.
  test('every value still reaches its own key; a VALUE for a key not asked still fails the line', async () => {
    fake = await startFakeServer(
      answerLines((line) => {
        if (line === 'get a b c d')
          return 'VALUE c 0 2\r\nvc\r\nVALUE a 0 2\r\nva\r\nVALUE d 0 2\r\nvd\r\nEND\r\n';
        if (line === 'get x y') return 'VALUE y 0 2\r\nvy\r\nVALUE z 0 2\r\nvz\r\nEND\r\n';
        return undefined;
      }),
    );
    const client = newClient({ servers: fake.address, poolSize: 1, commandTimeout: 3000 });
    const hits = await client.getMany(['a', 'b', 'c', 'd']);
    expect([...hits].sort()).toEqual([
      ['a', 'va'],
      ['c', 'vc'],
      ['d', 'vd'],
    ]);
    const error = await client.getMany(['x', 'y']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/VALUE for a key that was not asked for: z/);
  });
});
