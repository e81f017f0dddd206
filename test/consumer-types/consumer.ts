// A TypeScript consumer of every published package, type-checked (never run) under the settings
// users have: CommonJS without esModuleInterop (tsconfig.node10.json), Node16 (tsconfig.node16.json)
// and a bundler (tsconfig.bundler.json), all with skipLibCheck off so our .d.cts/.d.mts are checked.
// `npm run typecheck` runs them; the packages must be built first (they resolve through dist/).
// @memwire/cache-manager and @memwire/nestjs (whose types use it) are in consumer-cache-manager.ts,
// outside the node10 check: cache-manager 7 is ESM-only and its own .d.mts default-imports node:events
// (TS1259 without esModuleInterop), which no package of ours can fix. Nest's project template sets
// allowSyntheticDefaultImports, under which that import is fine.
import * as cli from '@memwire/cli';
import * as core from '@memwire/core';
import * as express from '@memwire/express';
import * as httpCache from '@memwire/http-cache';
import * as keyv from '@memwire/keyv';
import * as rest from '@memwire/rest';
import * as session from '@memwire/session';

const client: core.Client = core.createClient({ servers: '127.0.0.1:11211' });
export const uses = [
  cli.main,
  express.responseCache,
  httpCache.HttpCache,
  keyv.KeyvMemwire,
  rest.cacheRouter,
  session.MemwireSessionStore,
];
export const ready: Promise<boolean> = client.set('key', 'value');
