// The session both session benches (session.mjs, session-overhead.mjs) store: one place, so their
// figures are of the same payload. `session` is express-session's module (for its Cookie).

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
