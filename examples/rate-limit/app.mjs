// An Express 5 app with two rate limits counted in memcached (MEMCACHE_SERVERS etc.), so every process
// serving it shares one count per client:
// - /api: 5 requests a minute per IP, fixed windows; if memcached is down, requests pass (fail open:
//   an outage of the cache must not take the API down);
// - /login: 3 attempts a minute per IP, sliding window; if memcached is down, attempts are refused
//   (fail closed: a guess limit an attacker could switch off by flooding memcached is no limit).

import { MemwireRateLimitStore } from '@memwire/rate-limit';
import express from 'express';
import { rateLimit } from 'express-rate-limit';

/** RATE_LIMIT_PREFIX starts every counter key (the check gives each run its own). */
export function createApp({ prefix = process.env.RATE_LIMIT_PREFIX || 'example:' } = {}) {
  const apiStore = new MemwireRateLimitStore({ prefix: `${prefix}api:` });
  const loginStore = new MemwireRateLimitStore({
    prefix: `${prefix}login:`,
    algorithm: 'sliding',
    onUnavailable: 'deny',
  });
  apiStore.on('failOpen', (error) => console.warn(`rate-limit: /api not limited (${error.code})`));
  loginStore.on('failClosed', (error) => console.warn(`rate-limit: /login refused (${error.code})`));

  const common = { windowMs: 60_000, standardHeaders: 'draft-6', legacyHeaders: false };
  const app = express();
  app.get('/', (_req, res) => {
    res.json({ routes: ['GET /api/time (5 a minute)', 'POST /login (3 a minute)'], pid: process.pid });
  });
  app.use('/api', rateLimit({ ...common, limit: 5, store: apiStore }));
  app.get('/api/time', (_req, res) => {
    res.json({ now: new Date().toISOString(), pid: process.pid });
  });
  app.post('/login', rateLimit({ ...common, limit: 3, store: loginStore }), (_req, res) => {
    res.status(401).json({ error: 'wrong password', pid: process.pid });
  });

  const close = async () => {
    await Promise.all([apiStore.shutdown(), loginStore.shutdown()]);
  };
  return { app, close };
}
