import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { FalsyFailureError, MemwireSessionStore } from '../src/index.js';
import { harness, sessionFor } from './helpers.js';

// express-session and @fastify/session call every store method with a callback; the store answers
// them from promise reactions of its own (store.ts), so these hold what a callback caller relies on.

const h = harness();
let server: MemcachedServer;

beforeAll(async () => {
  server = await h.server();
});
afterAll(() => h.cleanup());

type Answer = { args: unknown[]; calls: number };

/**
 * Calls `start` with a callback; resolves with the callback's arguments and how often it ran, 50 ms
 * after its first call. A callback run before `start` returns (synchronously) fails the test.
 */
function answerOf(start: (callback: (...args: unknown[]) => void) => void): Promise<Answer> {
  return new Promise((resolveAnswer, rejectAnswer) => {
    const answer: Answer = { args: [], calls: 0 };
    let returned = false;
    start((...args) => {
      if (!returned) rejectAnswer(new Error('the callback ran before the call returned'));
      answer.calls += 1;
      answer.args = args;
      setTimeout(() => resolveAnswer(answer), 50);
    });
    returned = true;
  });
}

function store(options: ConstructorParameters<typeof MemwireSessionStore>[0] = {}) {
  return h.store(server.address, { keyPrefix: uniquePrefix(), ...options });
}

describe('callbacks', () => {
  test('each method answers once, with null for the error, and get with the session', async () => {
    const sessions = store();
    const session = sessionFor(60, { n: 1 });
    const set = await answerOf((done) => sessions.set('s1', session, done));
    expect(set).toEqual({ args: [null, undefined], calls: 1 });
    const got = await answerOf((done) => sessions.get('s1', done));
    expect(got.calls).toBe(1);
    expect(got.args[0]).toBeNull();
    expect(got.args[1]).toMatchObject({ n: 1 });
    expect(await answerOf((done) => sessions.touch('s1', session, done))).toEqual({
      args: [null, undefined],
      calls: 1,
    });
    expect(await answerOf((done) => sessions.destroy('s1', done))).toEqual({
      args: [null, undefined],
      calls: 1,
    });
    expect(await answerOf((done) => sessions.get('s1', done))).toEqual({ args: [null, undefined], calls: 1 });
  });

  test('a failure reaches the callback once, as the typed error', async () => {
    const sessions = store();
    const huge = sessionFor(60, { blob: 'x'.repeat(2 * 1024 * 1024) });
    const set = await answerOf((done) => sessions.set('s1', huge, done));
    expect(set.calls).toBe(1);
    expect(set.args[0]).toMatchObject({ code: ErrorCodes.VALUE_TOO_LARGE });
    const cycle: ReturnType<typeof sessionFor> & { self?: unknown } = sessionFor(60);
    cycle.self = cycle;
    const unserialisable = await answerOf((done) => sessions.set('s2', cycle, done));
    expect(unserialisable.calls).toBe(1);
    expect(unserialisable.args[0]).toBeInstanceOf(TypeError);
    await sessions.close();
    for (const call of [
      (done: () => void) => sessions.get('s1', done),
      (done: () => void) => sessions.set('s1', sessionFor(60), done),
      (done: () => void) => sessions.touch('s1', sessionFor(60), done),
      (done: () => void) => sessions.destroy('s1', done),
    ]) {
      const answer = await answerOf(call);
      expect(answer.calls).toBe(1);
      expect(answer.args[0]).toMatchObject({ code: ErrorCodes.CLOSED });
    }
  });

  test('an expired cookie given to set or touch deletes the session, and answers once', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(60));
    const expired = sessionFor(-5);
    expect(await answerOf((done) => sessions.touch('s1', expired, done))).toEqual({
      args: [null, undefined],
      calls: 1,
    });
    expect(await sessions.get('s1')).toBeUndefined();
    await sessions.set('s2', sessionFor(60));
    expect(await answerOf((done) => sessions.set('s2', expired, done))).toEqual({
      args: [null, undefined],
      calls: 1,
    });
    expect(await sessions.get('s2')).toBeUndefined();
  });
});

describe('a failure whose value is falsy', () => {
  // A serializer, a ttl function or a client can throw null; a callback reads a falsy error as
  // success, so it gets an Error holding the value (as util.callbackify does); a promise, the value.
  const throwsNull = {
    stringify: () => {
      throw null;
    },
    parse: (text: string) => JSON.parse(text),
  };

  test('set: the callback gets a FalsyFailureError, the promise rejects with the value', async () => {
    const sessions = store({ serializer: throwsNull });
    const answer = await answerOf((done) => sessions.set('s1', sessionFor(60), done));
    expect(answer.calls).toBe(1);
    expect(answer.args[0]).toBeInstanceOf(FalsyFailureError);
    expect(answer.args[0]).toMatchObject({ code: 'ERR_FALSY_VALUE_REJECTION', reason: null });
    await expect(sessions.set('s1', sessionFor(60))).rejects.toBeNull();
  });

  test('touch and get: a ttl function or a parsed value that throws undefined', async () => {
    const sessions = store({
      ttl: () => {
        throw undefined;
      },
      serializer: {
        stringify: JSON.stringify,
        parse: () => ({
          get cookie(): never {
            throw 0;
          },
        }),
      },
    });
    const touched = await answerOf((done) => sessions.touch('s1', sessionFor(undefined), done));
    expect(touched.args[0]).toMatchObject({ code: 'ERR_FALSY_VALUE_REJECTION', reason: undefined });
    await expect(sessions.touch('s1', sessionFor(undefined))).rejects.toBeUndefined();
    await sessions.set('s1', sessionFor(60));
    const got = await answerOf((done) => sessions.get('s1', done));
    expect(got.args[0]).toMatchObject({ code: 'ERR_FALSY_VALUE_REJECTION', reason: 0 });
    await expect(sessions.get('s1')).rejects.toBe(0);
  });

  test('a client that rejects with null fails the read, never a miss', async () => {
    const real = h.client(server.address);
    const rejecting = new Proxy(real, {
      get(target, name) {
        if (name === 'get') return () => Promise.reject(null);
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const sessions = new MemwireSessionStore({ client: rejecting, keyPrefix: uniquePrefix() });
    const got = await answerOf((done) => sessions.get('s1', done));
    expect(got.args[0]).toMatchObject({ code: 'ERR_FALSY_VALUE_REJECTION', reason: null });
    await expect(sessions.get('s1')).rejects.toBeNull();
  });
});

describe('a callback that throws', () => {
  const sessionDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dist = join(sessionDir, 'dist/index.mjs');

  beforeAll(() => {
    // CI builds before running vitest; a local run without a build, or with one older than the
    // source, gets one here (the child runs the build, so a stale one would test old code).
    const built = existsSync(dist) ? statSync(dist).mtimeMs : 0;
    const src = join(sessionDir, 'src');
    const edited = Math.max(...readdirSync(src).map((name) => statSync(join(src, name)).mtimeMs));
    if (built < edited) {
      execFileSync(process.execPath, [resolve(sessionDir, '../../node_modules/tsdown/dist/run.mjs')], {
        cwd: sessionDir,
        stdio: 'ignore',
      });
    }
  }, 60_000);

  /**
   * In a child Node (an uncaught exception would end vitest's worker): calls `call` on a store with a
   * callback that throws, and reports how the throw surfaced and how often the callback ran.
   */
  async function throwingCallback(
    call: string,
    before = "await store.set('s1', session)",
  ): Promise<{ origin: string; message: string; calls: number }> {
    const script = `
      const { MemwireSessionStore } = await import(${JSON.stringify(pathToFileURL(dist).href)});
      const options = { env: {}, servers: process.argv[1], keyPrefix: process.argv[2] };
      const store = new MemwireSessionStore(options);
      const session = { cookie: { originalMaxAge: 60000, expires: new Date(Date.now() + 60000) }, n: 1 };
      ${before};
      let calls = 0;
      let seen;
      process.on('uncaughtException', (error, origin) => { seen ??= { origin, message: error.message }; });
      const callback = () => { calls += 1; throw new Error('thrown by the callback'); };
      ${call};
      setTimeout(async () => {
        await store.close();
        console.log(JSON.stringify({ ...seen, calls }));
      }, 200);
    `;
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, server.address, uniquePrefix()],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    const code = await new Promise((resolveCode) => child.on('exit', resolveCode));
    expect(code).toBe(0);
    return JSON.parse(stdout);
  }

  test.each([
    ['get', "store.get('s1', callback)"],
    ['get of a miss', "store.get('nobody', callback)"],
    ['set', "store.set('s1', session, callback)"],
    ['touch', "store.touch('s1', session, callback)"],
    ['destroy', "store.destroy('s1', callback)"],
    ['clear', 'store.clear(callback)'],
    ['all', 'store.all(callback)'],
  ])(
    '%s: is an uncaught exception, not a rejection nobody holds, and the callback runs once',
    async (_, call) => {
      expect(await throwingCallback(call)).toEqual({
        origin: 'uncaughtException',
        message: 'thrown by the callback',
        calls: 1,
      });
    },
  );

  test.each([
    [
      'get, the first call of a store (its generation not yet read)',
      "store.get('s1', callback)",
      'undefined',
    ],
    ['set, the first call of a store', "store.set('s1', session, callback)", 'undefined'],
    [
      'get after another process cleared (the read runs again under the new generation)',
      "store.get('s1', callback)",
      "await store.set('s1', session); const other = new MemwireSessionStore(options); await other.clear(); await other.close()",
    ],
  ])('%s: the same', async (_, call, before) => {
    expect(await throwingCallback(call, before)).toEqual({
      origin: 'uncaughtException',
      message: 'thrown by the callback',
      calls: 1,
    });
  });
});
