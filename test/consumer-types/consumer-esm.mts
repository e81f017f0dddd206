// The ESM side of consumer.ts under Node16 resolution: the "import" conditions, so the .d.mts files.
import * as cli from '@memwire/cli';
import * as core from '@memwire/core';
import * as express from '@memwire/express';
import * as httpCache from '@memwire/http-cache';
import * as keyv from '@memwire/keyv';
import * as nestjs from '@memwire/nestjs';
import * as rest from '@memwire/rest';
import * as session from '@memwire/session';

const client: core.Client = core.createClient({ servers: '127.0.0.1:11211' });
export const uses = [
  cli.main,
  express.responseCache,
  httpCache.HttpCache,
  keyv.KeyvMemwire,
  nestjs.MemwireModule,
  rest.cacheRouter,
  session.MemwireSessionStore,
];
export const ready: Promise<boolean> = client.set('key', 'value');
