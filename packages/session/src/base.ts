import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

/**
 * What express-session's `Store` gives its subclasses (express-session/session/store.js): the three
 * methods it calls on a store besides get/set/destroy, and the optional ones a store may override.
 * Declared here, not imported from express-session's types, so that the published declarations never
 * name express-session: a Fastify app has neither it nor @types/express-session, and its type check
 * (skipLibCheck off) would fail on the import. Parameters are loose on purpose: TypeScript compares
 * these with express-session's own `Store` structurally, so `session({ store })` still type-checks in
 * an Express app (the README's snippets are checked so by the suite).
 */
export interface ExpressSessionStoreMethods {
  // biome-ignore lint/suspicious/noExplicitAny: structural twin of express-session's Store; its request type is Express's
  regenerate(req: any, callback: (err?: any) => any): void;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  load(sid: string, callback: (err: any, session?: any) => any): void;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  createSession(req: any, session: any): any;
  // The optional methods of express-session's Store, which the store overrides (see store.ts).
  // biome-ignore lint/suspicious/noExplicitAny: as above
  touch?(...args: any[]): any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  clear?(...args: any[]): any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  all?(...args: any[]): any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  length?(...args: any[]): any;
}

type StoreBase = abstract new () => EventEmitter & ExpressSessionStoreMethods;

/**
 * The class the store extends: express-session's `Store` when the app has express-session, else a
 * plain EventEmitter. express-session calls `regenerate`, `load` and `createSession` on its store,
 * and they live on `Store.prototype` only (session/store.js), so a store for it must inherit them;
 * a Fastify app needs no express-session, and @fastify/session calls only get, set and destroy.
 * Resolved from this file, as the app's own `require('express-session')` would be.
 */
function storeBase(): StoreBase {
  try {
    return (createRequire(import.meta.url)('express-session') as { Store: StoreBase }).Store;
  } catch {
    // Without express-session nobody calls its three methods.
    return EventEmitter as unknown as StoreBase;
  }
}

export const SessionStoreBase = storeBase();
