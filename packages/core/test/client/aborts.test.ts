import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type FaultProxy,
  type MemcachedServer,
  startFaultProxy,
  startMemcached,
} from '../../../../test/support/index.js';
import { AbortError, ErrorCodes } from '../../src/index.js';
import { uniqueKey, useClients } from './helpers.js';

// CallOptions.signal promises: a command aborted before it is written is never written (a cancelled
// `set` must not happen); one already written keeps its place in the reply stream, its reply is read
// and dropped, and the commands after it get their own replies.

const newClient = useClients();
const USERNAME = 'abort-user';
const PASSWORD = 'abort-secret';

let plain: MemcachedServer;
let secured: MemcachedServer;
beforeAll(async () => {
  [plain, secured] = await Promise.all([
    startMemcached(),
    startMemcached({ auth: { username: USERNAME, password: PASSWORD } }),
  ]);
});
afterAll(() => Promise.all([plain.stop(), secured.stop()]));

let proxy: FaultProxy | undefined;
const stopped = new Set<MemcachedServer>();
afterEach(async () => {
  for (const server of stopped) process.kill(server.pid!, 'SIGCONT');
  stopped.clear();
  await proxy?.close();
  proxy = undefined;
});
function stall(server: MemcachedServer): void {
  process.kill(server.pid!, 'SIGSTOP');
  stopped.add(server);
}
function resume(server: MemcachedServer): void {
  process.kill(server.pid!, 'SIGCONT');
  stopped.delete(server);
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a command aborted before it is written', () => {
  test('in the tick it was issued is never sent; the commands around it are', async () => {
    const client = newClient({ servers: plain.address, poolSize: 1 });
    await client.version();
    const [before, cancelled, after] = [uniqueKey('before'), uniqueKey('cancelled'), uniqueKey('after')];
    const controller = new AbortController();
    const first = client.set(before, '1');
    const aborted = client.set(cancelled, 'never', { signal: controller.signal });
    const last = client.set(after, '3');
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
    expect(await Promise.all([first, last])).toEqual([true, true]);
    expect(await client.get(cancelled)).toBeUndefined();
    expect(await client.getMany([before, after])).toEqual(
      new Map([
        [before, '1'],
        [after, '3'],
      ]),
    );
  });

  test('while the login waits on a stalled server is never sent once the login completes', async () => {
    const client = newClient({
      servers: secured.address,
      username: USERNAME,
      password: PASSWORD,
      authDialect: 'memcached',
      poolSize: 1,
      commandTimeout: 10_000,
    });
    stall(secured);
    const [cancelled, kept] = [uniqueKey('login-cancelled'), uniqueKey('login-kept')];
    const controller = new AbortController();
    const aborted = client.delete(cancelled, { signal: controller.signal });
    const write = client.set(cancelled, 'never', { signal: controller.signal });
    const other = client.set(kept, 'written');
    await tick();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    await expect(write).rejects.toBeInstanceOf(AbortError);
    resume(secured);
    expect(await other).toBe(true);
    expect(await client.get(kept)).toBe('written');
    expect(await client.get(cancelled)).toBeUndefined();
  });

  test('while connecting through a stalled network (fault proxy) is never sent once it flows', async () => {
    proxy = await startFaultProxy(secured.port, { kind: 'stall' });
    const client = newClient({
      servers: proxy.address,
      username: USERNAME,
      password: PASSWORD,
      authDialect: 'memcached',
      poolSize: 1,
      commandTimeout: 10_000,
    });
    const [cancelled, kept] = [uniqueKey('proxy-cancelled'), uniqueKey('proxy-kept')];
    const controller = new AbortController();
    const aborted = client.add(cancelled, 'never', { signal: controller.signal });
    const counter = client.incr(cancelled, 1, { signal: controller.signal });
    const other = client.set(kept, 'written');
    await tick();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    await expect(counter).rejects.toBeInstanceOf(AbortError);
    proxy.setFault({ kind: 'pass' });
    expect(await other).toBe(true);
    expect(await client.get(kept)).toBe('written');
    expect(await client.get(cancelled)).toBeUndefined();
  });
});

describe('a command aborted after it is written', () => {
  test('rejects at once; its reply is dropped and the next command gets its own', async () => {
    const client = newClient({ servers: plain.address, poolSize: 1, commandTimeout: 10_000 });
    const key = uniqueKey('written');
    expect(await client.set(key, 'old')).toBe(true);
    stall(plain);
    const controller = new AbortController();
    const aborted = client.set(key, 'new', { signal: controller.signal });
    await tick(); // flushed: the bytes are on their way
    await tick();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    const next = client.get(key);
    resume(plain);
    // The written set took effect (as CallOptions.signal warns); its STORED did not reach `next`.
    expect(await next).toBe('new');
    expect(await client.delete(key)).toBe(true);
  });
});
