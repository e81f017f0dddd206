// The app: express-session with its sessions in memcached. Every process sharing the memcached (and the
// secret) shares the sessions, and a restart of the app logs nobody out.

import { MemwireSessionStore } from '@memwire/session';
import express from 'express';
import session from 'express-session';

export function createApp() {
  // MEMCACHE_SERVERS / MEMCACHIER_SERVERS (and their credentials), else 127.0.0.1:11211.
  const store = new MemwireSessionStore({ keyPrefix: 'example:sess:' });
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      store,
      // A real app reads this from its environment; every process of the app must use the same one.
      secret: process.env.SESSION_SECRET || 'example secret, change me',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 30 * 60 * 1000, sameSite: 'lax' },
    }),
  );

  app.get('/', (_req, res) => {
    res.json({
      routes: ['POST /login (user=…)', 'GET /me', 'POST /visits', 'POST /logout', 'POST /logout-everyone'],
    });
  });
  app.post('/login', (req, res, next) => {
    const user = String(req.body.user ?? '').trim();
    if (!/^[a-z]{1,32}$/.test(user)) return res.status(400).json({ error: 'user: 1 to 32 letters' });
    // A new session id at login, so an id planted before it (session fixation) is worth nothing.
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = user;
      req.session.visits = 0;
      res.json({ user });
    });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null, visits: req.session.visits ?? 0 });
  });
  app.post('/visits', (req, res) => {
    if (!req.session.user) return res.status(401).json({ error: 'log in first' });
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ visits: req.session.visits });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ user: null })));
  });
  // clear(): this store's sessions only, for every process (one incr, never flush_all). An admin action:
  // a real app would check who asks.
  app.post('/logout-everyone', (_req, res, next) => {
    store.clear().then(() => res.json({ cleared: true }), next);
  });
  // memcached down or slow: the store passes the error here (onUnavailable: 'error', the default).
  app.use((error, _req, res, _next) => {
    res.status(503).json({ error: error.code ?? 'ERR_UNKNOWN' });
  });
  return { app, store, close: () => store.close() };
}
