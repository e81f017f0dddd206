import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import type { MemwireSessionStore } from '../src/index.js';
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

/** Calls `method` with a callback; resolves with the callback's arguments and how often it ran, 50 ms later. */
function answerOf(start: (callback: (...args: unknown[]) => void) => void): Promise<Answer> {
  return new Promise((resolveAnswer) => {
    const answer: Answer = { args: [], calls: 0 };
    start((...args) => {
      answer.calls += 1;
      answer.args = args;
      setTimeout(() => resolveAnswer(answer), 50);
    });
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
    expect((await answerOf((done) => sessions.set('s2', expired, done))).args[0]).toBeNull();
    expect(await sessions.get('s2')).toBeUndefined();
  });
});

describe('a callback that throws', () => {
  const sessionDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dist = join(sessionDir, 'dist/index.mjs');

  beforeAll(() => {
    // CI builds before running vitest; a local run without a build gets one here.
    if (!existsSync(dist)) {
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
  async function throwingCallback(call: string): Promise<{ origin: string; message: string; calls: number }> {
    const script = `
      const { MemwireSessionStore } = await import(${JSON.stringify(pathToFileURL(dist).href)});
      const store = new MemwireSessionStore({ env: {}, servers: process.argv[1], keyPrefix: 'throws:' });
      const session = { cookie: { originalMaxAge: 60000, expires: new Date(Date.now() + 60000) }, n: 1 };
      await store.set('s1', session);
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
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, server.address], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
});
