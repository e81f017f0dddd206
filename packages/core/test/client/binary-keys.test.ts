import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type FakeServer,
  type MemcachedServer,
  type RecordingRelay,
  startFakeServer,
  startMemcached,
  startRecordingRelay,
} from '../../../../test/support/index.js';
import { ErrorCodes, InvalidKeyError, ProtocolError, UnsupportedCommandError } from '../../src/index.js';
import { answerLines, uniqueKey, useClients } from './helpers.js';

// Keys that are bytes (client.binary), sent base64 with the meta protocol's `b` flag, on a real
// memcached 1.6.18; the classic-only refusal and a forged reply on a fake.

const newClient = useClients();
let server: MemcachedServer;
let relay: RecordingRelay;
beforeAll(async () => {
  server = await startMemcached();
  relay = await startRecordingRelay(server.port);
});
afterAll(async () => {
  await relay.close();
  await server.stop();
});

/** Bytes no text key could hold: NUL, space, CR LF, a high byte, and something unique to this run. */
function bytesKey(label: string): Buffer {
  return Buffer.concat([Buffer.from([0, 0x20, 0x0d, 0x0a, 0xff]), Buffer.from(uniqueKey(label))]);
}

describe('client.binary', () => {
  test('set, get, touch, ttl and delete a key of any bytes; the value keeps its type', async () => {
    const client = newClient({ servers: server.address });
    const key = bytesKey('bin');
    expect(await client.binary.get(key)).toBeUndefined();
    expect(await client.binary.set(key, { user: 7, tags: ['a'] }, { ttl: 300 })).toBe(true);
    expect(await client.binary.get(key)).toEqual({ user: 7, tags: ['a'] });
    expect(await client.binary.ttl(key)).toBeGreaterThan(290);
    expect(await client.binary.touch(key, 0)).toBe(true);
    expect(await client.binary.ttl(key)).toBe(Number.POSITIVE_INFINITY);
    expect(await client.binary.delete(key)).toBe(true);
    expect(await client.binary.get(key)).toBeUndefined();
    expect(await client.binary.delete(key)).toBe(false);
    expect(await client.binary.touch(key, 10)).toBe(false);
    expect(await client.binary.ttl(key)).toBeUndefined();
  });

  test('keys differing in one byte are different items; the connection stays in step', async () => {
    const client = newClient({ servers: server.address });
    const a = bytesKey('one');
    const b = Buffer.from(a);
    b[0] = 1;
    await Promise.all([client.binary.set(a, 'a'), client.binary.set(b, 'b'), client.set('plain', 'p')]);
    expect(await Promise.all([client.binary.get(a), client.binary.get(b), client.get('plain')])).toEqual([
      'a',
      'b',
      'p',
    ]);
  });

  test('memcached stores the decoded bytes: a binary key that is valid text is that text key, keyPrefix included', async () => {
    const text = uniqueKey('same');
    const prefixed = newClient({ servers: server.address, keyPrefix: 'app:' });
    const plain = newClient({ servers: server.address });
    await prefixed.binary.set(Buffer.from(text), 'from bytes');
    expect(await plain.get(`app:${text}`)).toBe('from bytes');
    await plain.set(`app:${text}`, 'from text');
    expect(await prefixed.binary.get(new TextEncoder().encode(text))).toBe('from text');
  });

  test('a bad key is a typed error and nothing is sent', async () => {
    const start = relay.connections.length;
    const client = newClient({ servers: relay.address });
    const longest = Buffer.alloc(186, 1);
    expect(await client.binary.set(longest, 'v')).toBe(true);
    const sentBefore = relay.connections
      .slice(start)
      .map((c) => c.sent.length)
      .reduce((a, b) => a + b, 0);
    for (const key of [
      Buffer.alloc(187, 1),
      Buffer.alloc(0),
      'text' as unknown as Buffer,
      null as unknown as Buffer,
    ]) {
      await expect(client.binary.set(key, 'v')).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(client.binary.get(key)).rejects.toMatchObject({ code: ErrorCodes.INVALID_KEY });
    }
    const withPrefix = newClient({ servers: relay.address, keyPrefix: 'ab' });
    await expect(withPrefix.binary.get(Buffer.alloc(185, 1))).rejects.toBeInstanceOf(InvalidKeyError);
    const sentAfter = relay.connections
      .slice(start)
      .map((c) => c.sent.length)
      .reduce((a, b) => a + b, 0);
    expect(sentAfter).toBe(sentBefore);
  });

  test("under protocol: 'classic' every call rejects, typed, and sends nothing", async () => {
    const start = relay.connections.length;
    const client = newClient({ servers: relay.address, protocol: 'classic' });
    const key = bytesKey('classic');
    await expect(client.binary.get(key)).rejects.toBeInstanceOf(UnsupportedCommandError);
    await expect(client.binary.set(key, 'v')).rejects.toMatchObject({ code: ErrorCodes.UNSUPPORTED });
    await expect(client.binary.delete(key)).rejects.toBeInstanceOf(UnsupportedCommandError);
    await expect(client.binary.touch(key, 1)).rejects.toBeInstanceOf(UnsupportedCommandError);
    const sent = relay.connections.slice(start).map((c) => c.sent.toString('latin1'));
    expect(sent.join('')).toBe('');
  });
});

describe('what a server answers a binary get is input', () => {
  let hostile: FakeServer;
  beforeAll(async () => {
    hostile = await startFakeServer(
      answerLines((line) => {
        if (line === 'version') return 'VERSION 1.6.18\r\n';
        if (line === 'mn') return 'MN\r\n';
        if (line.startsWith('mg ') && line.includes(' v')) return 'VA 2 fX\r\nhi\r\n';
        return 'EN\r\n';
      }),
    );
  });
  afterAll(() => hostile.close());

  test('client flags that are not a number are a ProtocolError, never a value', async () => {
    const client = newClient({ servers: hostile.address });
    await expect(client.binary.get(Buffer.from([1, 2, 3]))).rejects.toBeInstanceOf(ProtocolError);
  });
});
