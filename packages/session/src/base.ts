import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Store } from 'express-session';

/**
 * The class the store extends: express-session's `Store` when the app has express-session, else a
 * plain EventEmitter. express-session calls `regenerate`, `load` and `createSession` on its store,
 * and they live on `Store.prototype` only (session/store.js), so a store for it must inherit them;
 * a Fastify app needs no express-session, and @fastify/session calls only get, set and destroy.
 * Resolved from this file, as the app's own `require('express-session')` would be.
 */
function storeBase(): abstract new () => Store {
  try {
    const expressSession = createRequire(import.meta.url)('express-session') as { Store: new () => Store };
    return expressSession.Store;
  } catch {
    // Typed as express-session's Store so apps that have it see one; without it, nobody calls its methods.
    return EventEmitter as unknown as abstract new () => Store;
  }
}

export const SessionStoreBase = storeBase();
