// The session both session benches (session.mjs, session-overhead.mjs) store, and the request they
// make of a store: one place, so their figures are of the same work. `session` is express-session's
// module (for its Cookie).

/** A logged-in user's session, as express-session hands it to a store: a Cookie and ~250 bytes of data. */
export function sessionOf(i, session) {
  return {
    cookie: new session.Cookie({ maxAge: 3_600_000, httpOnly: true, sameSite: 'lax' }),
    user: { id: i, name: `user ${i}`, roles: ['reader', 'writer'] },
    csrf: 'c8a4e2f0b1d94f6e8a7c3b2d1e0f9a8b',
    cart: [
      { sku: 'A-100', qty: 1 },
      { sku: 'B-220', qty: 3 },
    ],
    visits: 1,
  };
}

/** Writes `value` under `sid` through the store's callback API, as a promise. */
export const saveSession = (store, sid, value) =>
  new Promise((resolve, reject) => store.set(sid, value, (error) => (error ? reject(error) : resolve())));

/**
 * One request's worth of store work, as express-session does it: load the session (get), change it,
 * save the same object back (set). With callbacks, as express-session calls a store: a promisified
 * pair would add two promises and their closures per request to every store's figure (~1.5 µs of
 * ~20 on the bench's machine), which is the harness's work, not the store's.
 */
export const sessionRequest = (store, sid) =>
  new Promise((resolve, reject) => {
    store.get(sid, (error, loaded) => {
      if (error) return reject(error);
      if (!loaded) return reject(new Error(`session ${sid} missing`));
      loaded.visits += 1;
      store.set(sid, loaded, (error) => (error ? reject(error) : resolve()));
    });
  });
