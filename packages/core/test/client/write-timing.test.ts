import { Socket } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { type FakeServer, startFakeServer } from '../../../../test/support/index.js';
import { KetamaRing, parseServerList } from '../../src/index.js';
import { answerLines, retryUntil, useClients } from './helpers.js';

// When a client's connections write (WriteTiming), seen from outside: against a server that answers
// every get with a miss and one that never answers (a reply owed for as long as the test runs). Fake
// servers, because a real memcached cannot be made to owe a reply on purpose.

const newClient = useClients();
const fakes: FakeServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function missing(): Promise<FakeServer> {
  const fake = await startFakeServer(
    answerLines((line) => (line.startsWith('get ') ? 'END\r\n' : undefined)),
  );
  fakes.push(fake);
  return fake;
}

async function silent(): Promise<FakeServer> {
  const fake = await startFakeServer(() => {});
  fakes.push(fake);
  return fake;
}

/** A key the client's ring (ketama, the default) places on server `index` of `servers`. */
function keyOn(servers: string, index: number, name: string): string {
  const ring = new KetamaRing(parseServerList(servers, 'servers'));
  for (let i = 0; ; i++) if (ring.serverFor(`${name}-${i}`) === index) return `${name}-${i}`;
}

/** Whether what `issue` sends is written before the tick ends, or after (and before the next turn). */
async function whenWritten(issue: () => void): Promise<string[]> {
  const log: string[] = [];
  const write = Socket.prototype.write;
  vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    log.push('write');
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  });
  issue();
  process.nextTick(() => log.push('tick end'));
  await new Promise<void>((resolve) => setImmediate(resolve));
  vi.restoreAllMocks();
  return log;
}

/** A command whose reply will never come: failed by the client's close after the test. */
function owed(promise: Promise<unknown>): void {
  promise.catch(() => {});
}

/**
 * A client of two servers, the first answering every get with a miss, the second owing the reply to a
 * get for as long as the test runs (it has received it, and will never answer).
 */
async function owingClient() {
  const [answering, stalled] = [await missing(), await silent()];
  const servers = `${answering.address},${stalled.address}`;
  const c = newClient({ servers, protocol: 'classic', commandTimeout: 10_000 });
  owed(c.get(keyOn(servers, 1, 'owed')));
  await retryUntil(async () => expect(stalled.received.length).toBeGreaterThan(0), 2000, 5);
  return { c, servers, answering };
}

describe('when a client writes', () => {
  test('while another server owes a reply, after the poll phase: the commands its reply resumes join', async () => {
    const { c, servers } = await owingClient();
    expect(await c.get(keyOn(servers, 0, 'warm'))).toBeUndefined();

    let answer: Promise<unknown> | undefined;
    const log = await whenWritten(() => {
      answer = c.get(keyOn(servers, 0, 'measured'));
    });
    expect(log).toEqual(['tick end', 'write']);
    expect(await answer).toBeUndefined();
  });

  test('with nothing owed by another server, at the end of the tick', async () => {
    const [answering, stalled] = [await missing(), await silent()];
    const servers = `${answering.address},${stalled.address}`;
    const c = newClient({ servers, protocol: 'classic', commandTimeout: 10_000 });
    expect(await c.get(keyOn(servers, 0, 'warm'))).toBeUndefined();

    const log = await whenWritten(() => owed(c.get(keyOn(servers, 0, 'measured'))));
    expect(log).toEqual(['write', 'tick end']);
  });

  test('a second connection to the same server owing a reply does not count', async () => {
    const stalled = await silent();
    const c = newClient({
      servers: stalled.address,
      poolSize: 2,
      protocol: 'classic',
      commandTimeout: 10_000,
    });
    // Twenty keys spread over both connections (all on one has odds of 2^-19), every one left owing.
    for (let i = 0; i < 20; i++) owed(c.get(`owed-${i}`));
    await retryUntil(
      async () => {
        // A connection is made for its first command, so two connections are two owing.
        expect(stalled.connections).toBe(2);
        for (let i = 0; i < 20; i++) expect(stalled.received.toString()).toContain(`owed-${i}`);
      },
      2000,
      5,
    );

    const log = await whenWritten(() => owed(c.get('measured')));
    expect(log).toEqual(['write', 'tick end']);
  });

  /** The get lines `fake` received, each as its keys. */
  function getLines(fake: FakeServer): string[][] {
    return fake.received
      .toString()
      .split('\r\n')
      .filter((line) => line.startsWith('get '))
      .map((line) => line.slice(4).split(' '));
  }

  test('while another server owes a reply, a tick of gets is not cut into lines a sixth long', async () => {
    const { c, servers, answering } = await owingClient();
    const keys = Array.from({ length: 12 }, (_, i) => keyOn(servers, 0, `burst-${i}`));
    const answers = await Promise.all(keys.map((key) => c.get(key)));
    expect(answers).toEqual(keys.map(() => undefined));
    // Two keys first (nothing in flight yet on this connection), then the rest in one line.
    expect(getLines(answering).map((line) => line.length)).toEqual([2, 10]);
    expect(getLines(answering).flat()).toEqual(keys);
  });

  test('with nothing owed by another server, the same tick is cut as on one server', async () => {
    const [answering, idle] = [await missing(), await silent()];
    const servers = `${answering.address},${idle.address}`;
    const c = newClient({ servers, protocol: 'classic', commandTimeout: 10_000 });
    const keys = Array.from({ length: 12 }, (_, i) => keyOn(servers, 0, `burst-${i}`));
    await Promise.all(keys.map((key) => c.get(key)));
    const lines = getLines(answering);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.flat()).toEqual(keys);
  });
});
