import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  AuthError,
  type Client,
  type ClientOptions,
  ConnectionError,
  createClient,
  MemwireError,
  TimeoutError,
  type Value,
} from '../../packages/core/src/index.js';
import { type MemcachedServer, startMemcached, stopAllMemcached } from '../support/index.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';
import { createTestCertificates, type TestCertificates } from '../support/tls.js';

/**
 * Against a real `memcached -Z` (Debian's 1.6.18 is built with TLS). A failing handshake must reject
 * at once: the clients wait far longer than each test may run (TEST_MS), so a hang fails the test
 * instead of ending as a memwire timeout.
 */
const TEST_MS = 5_000;
const patient = { connectTimeout: 15_000, commandTimeout: 15_000 } as const;

/** The first byte of a TLS handshake record (RFC 8446 §5.1: ContentType handshake = 22). */
const TLS_HANDSHAKE = 0x16;

let certs: TestCertificates;
const opened = new Set<Client>();
const relays = new Set<RecordingRelay>();

function newClient(options: ClientOptions<Value>): Client {
  const client = createClient({ env: {}, ...patient, ...options });
  opened.add(client);
  return client;
}

async function relayTo(server: MemcachedServer): Promise<RecordingRelay> {
  const relay = await startRecordingRelay(server.port);
  relays.add(relay);
  return relay;
}

async function rejection(promise: Promise<unknown>): Promise<MemwireError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemwireError);
  return error as MemwireError;
}

let sequence = 0;
function uniqueKey(name: string): string {
  sequence += 1;
  return `tls:${name}:${process.pid}:${sequence}`;
}

beforeAll(async () => {
  certs = await createTestCertificates();
});

afterEach(async () => {
  const closing = [...opened].map((client) => client.close());
  opened.clear();
  await Promise.all([...closing, ...[...relays].map((relay) => relay.close())]);
  relays.clear();
});

afterAll(() => stopAllMemcached());

describe('TLS to memcached -Z', () => {
  let server: MemcachedServer;
  beforeAll(async () => {
    server = await startMemcached({ tls: { cert: certs.cert, key: certs.key } });
  });
  afterAll(() => server.stop());

  test(
    'every basic command works with tls: { ca }',
    async () => {
      const client = newClient({ servers: server.address, tls: { ca: certs.ca } });
      const [a, b, counter] = [uniqueKey('a'), uniqueKey('b'), uniqueKey('counter')];

      expect(await client.set(a, 'alpha')).toBe(true);
      expect(await client.set(b, { nested: [1, 2] })).toBe(true);
      expect(await client.get(a)).toBe('alpha');
      expect(await client.get(uniqueKey('missing'))).toBeUndefined();
      const many = await client.getMany([a, b, uniqueKey('missing')]);
      expect(many).toEqual(
        new Map<string, unknown>([
          [a, 'alpha'],
          [b, { nested: [1, 2] }],
        ]),
      );
      expect(await client.delete(a)).toBe(true);
      expect(await client.delete(a)).toBe(false);
      expect(await client.get(a)).toBeUndefined();
      expect(await client.set(counter, '41')).toBe(true);
      expect(await client.incr(counter, 1)).toBe(42);
      expect(await client.decr(counter, 2)).toBe(40);
      expect(await client.incr(uniqueKey('no-counter'), 1)).toBeUndefined();

      const stats = await client.stats();
      expect([...stats.keys()]).toEqual([server.address]);
      expect(stats.get(server.address)?.['version']).toMatch(/^1\.6\./);
      // The server confirms the connection it answered on is its TLS listener.
      const settings = (await client.stats('settings')).get(server.address);
      expect(settings?.['ssl_enabled']).toBe('yes');
    },
    TEST_MS,
  );

  test(
    'a value larger than one TLS record (16 KiB) arrives whole',
    async () => {
      const client = newClient({ servers: server.address, tls: { ca: certs.ca } });
      const key = uniqueKey('big');
      const value = Buffer.alloc(200_000, 'x').toString() + 'end';
      expect(await client.set(key, value)).toBe(true);
      expect(await client.get(key)).toBe(value);
    },
    TEST_MS,
  );

  test(
    'the server can be named localhost as well as 127.0.0.1 (both are in the certificate)',
    async () => {
      const client = newClient({ servers: `localhost:${server.port}`, tls: { ca: certs.ca } });
      const key = uniqueKey('localhost');
      expect(await client.set(key, 'via name')).toBe(true);
      expect(await client.get(key)).toBe('via name');
    },
    TEST_MS,
  );

  test(
    'a memcaches:// URL turns TLS on, with the CA from the tls option',
    async () => {
      const client = newClient({ servers: `memcaches://127.0.0.1:${server.port}`, tls: { ca: certs.ca } });
      const key = uniqueKey('url');
      expect(await client.set(key, 'over a URL')).toBe(true);
      expect(await client.get(key)).toBe('over a URL');
      // The same URL through options.url.
      const viaUrl = newClient({ url: `memcaches://127.0.0.1:${server.port}`, tls: { ca: certs.ca } });
      expect(await viaUrl.get(key)).toBe('over a URL');
    },
    TEST_MS,
  );

  test(
    'everything crosses the wire encrypted: each connection opens with a TLS handshake',
    async () => {
      const relay = await relayTo(server);
      const client = newClient({ servers: relay.address, tls: { ca: certs.ca } });
      const key = uniqueKey('secret-key');
      const value = 'secret-value-in-clear?';
      expect(await client.set(key, value)).toBe(true);
      expect(await client.get(key)).toBe(value);

      expect(relay.connections.length).toBeGreaterThan(0);
      for (const { sent, received } of relay.connections) {
        expect(sent[0]).toBe(TLS_HANDSHAKE);
        expect(sent.includes(key)).toBe(false);
        expect(sent.includes(value)).toBe(false);
        expect(received.includes(value)).toBe(false);
      }
    },
    TEST_MS,
  );

  test(
    'a certificate from another CA is refused at once with a ConnectionError naming the server',
    async () => {
      const client = newClient({ servers: server.address, tls: { ca: certs.otherCa } });
      const error = await rejection(client.set(uniqueKey('wrong-ca'), 'never stored'));

      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).not.toBeInstanceOf(TimeoutError);
      expect(error.code).toBe('ERR_MEMWIRE_CONNECTION');
      expect(error.server).toBe(server.address);
      expect(error.message).toContain(server.address);
      // Node's verification result, kept as the cause and named in the message.
      expect((error.cause as NodeJS.ErrnoException).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(error.message).toMatch(/TLS error: unable to verify the first certificate/);
      expect(error.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');

      // Later calls fail too (fast or after another refused handshake), never by waiting.
      const again = await rejection(client.get(uniqueKey('wrong-ca')));
      expect(again).toBeInstanceOf(ConnectionError);
      expect(again.server).toBe(server.address);
    },
    TEST_MS,
  );

  test(
    'a refused certificate never falls back to plaintext',
    async () => {
      const relay = await relayTo(server);
      const client = newClient({ servers: relay.address, tls: { ca: certs.otherCa }, retryDelay: 1 });
      const key = uniqueKey('no-fallback');
      for (let attempt = 0; attempt < 3; attempt++) {
        await rejection(client.set(key, 'plaintext?'));
      }

      expect(relay.connections.length).toBeGreaterThan(0);
      for (const { sent } of relay.connections) {
        expect(sent[0]).toBe(TLS_HANDSHAKE);
        expect(sent.includes(key)).toBe(false);
      }
      const check = newClient({ servers: server.address, tls: { ca: certs.ca } });
      expect(await check.get(key)).toBeUndefined();
    },
    TEST_MS,
  );

  test(
    'tls: true verifies certificates by default, so a private CA not passed as ca is refused',
    async () => {
      const client = newClient({ servers: server.address, tls: true });
      const error = await rejection(client.get(uniqueKey('tls-true')));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.server).toBe(server.address);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    },
    TEST_MS,
  );

  test(
    'a memcaches:// URL alone verifies certificates too',
    async () => {
      const client = newClient({ servers: `memcaches://127.0.0.1:${server.port}` });
      const error = await rejection(client.get(uniqueKey('url-only')));
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    },
    TEST_MS,
  );

  test(
    'the server name is checked, not only the CA',
    async () => {
      const client = newClient({
        servers: server.address,
        tls: { ca: certs.ca, servername: 'cache.example.com' },
      });
      const error = await rejection(client.get(uniqueKey('servername')));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.server).toBe(server.address);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(error.message).toContain('cache.example.com');
    },
    TEST_MS,
  );

  test(
    'a plain-TCP client on the TLS port fails with a ConnectionError that suggests TLS, not a hang',
    async () => {
      const client = newClient({ servers: server.address });
      // memcached reads the command as a bad TLS ClientHello and resets the connection.
      const errors = await Promise.all([
        rejection(client.get(uniqueKey('plain'))),
        rejection(client.set(uniqueKey('plain'), 'x')),
      ]);
      for (const error of errors) {
        expect(error).toBeInstanceOf(ConnectionError);
        expect(error).not.toBeInstanceOf(TimeoutError);
        expect(error.server).toBe(server.address);
        expect(error.message).toContain(server.address);
        expect(error.message).toMatch(/does the server require TLS\?/);
      }
    },
    TEST_MS,
  );
});

describe('TLS to a plain memcached', () => {
  let plain: MemcachedServer;
  beforeAll(async () => {
    plain = await startMemcached();
  });
  afterAll(() => plain.stop());

  test(
    'a TLS client on a plain port fails with a ConnectionError saying TLS failed, not a hang',
    async () => {
      const client = newClient({ servers: plain.address, tls: { ca: certs.ca } });
      const error = await rejection(client.get(uniqueKey('tls-to-plain')));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).not.toBeInstanceOf(TimeoutError);
      expect(error.server).toBe(plain.address);
      // memcached answers the ClientHello with a text reply, which is no TLS record.
      expect((error.cause as NodeJS.ErrnoException).code).toMatch(/^ERR_SSL_/);
      expect(error.message).toMatch(/TLS error/);
    },
    TEST_MS,
  );
});

describe('pseudo-set auth over TLS (memcached -Z -Y)', () => {
  const username = 'tls-user';
  const password = 'tls-p@ss:word';
  let server: MemcachedServer;
  beforeAll(async () => {
    server = await startMemcached({
      tls: { cert: certs.cert, key: certs.key },
      auth: { username, password },
    });
  });
  afterAll(() => server.stop());

  test.each(['memcached', 'auto'] as const)(
    'the %s dialect logs in and the commands work',
    async (authDialect) => {
      const client = newClient({
        servers: server.address,
        tls: { ca: certs.ca },
        username,
        password,
        authDialect,
      });
      const key = uniqueKey(`auth-${authDialect}`);
      expect(await client.set(key, 'authenticated')).toBe(true);
      expect(await client.get(key)).toBe('authenticated');
      expect(await client.getMany([key])).toEqual(new Map([[key, 'authenticated']]));
      expect(await client.delete(key)).toBe(true);
    },
    TEST_MS,
  );

  test(
    'the password never crosses the wire in clear',
    async () => {
      const relay = await relayTo(server);
      const client = newClient({ servers: relay.address, tls: { ca: certs.ca }, username, password });
      expect(await client.set(uniqueKey('wire'), 'v')).toBe(true);
      expect(relay.connections.length).toBeGreaterThan(0);
      for (const { sent } of relay.connections) {
        expect(sent[0]).toBe(TLS_HANDSHAKE);
        expect(sent.includes(password)).toBe(false);
        expect(sent.includes(username)).toBe(false);
      }
    },
    TEST_MS,
  );

  test(
    'a wrong password over TLS is an AuthError naming the server, without the password',
    async () => {
      const client = newClient({
        servers: server.address,
        tls: { ca: certs.ca },
        username,
        password: 'not-the-password',
        authDialect: 'memcached',
      });
      const error = await rejection(client.get(uniqueKey('bad-auth')));
      expect(error).toBeInstanceOf(AuthError);
      expect(error.server).toBe(server.address);
      expect(error.message).toContain('CLIENT_ERROR authentication failure');
      expect(error.message).not.toContain('not-the-password');
    },
    TEST_MS,
  );
});
