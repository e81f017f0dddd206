import { afterAll, beforeAll } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { type Client, rawCodec } from '../../src/index.js';
import { useClients } from '../client/helpers.js';

/** Both kinds of codec a primitive must work with: values come back as text, or as bytes. */
export const CODECS = [
  ['the default codec', undefined],
  ['the raw codec', rawCodec],
] as const;

/**
 * One real memcached for the test file, stopped after it, and a factory of clients on it (closed
 * after each test), with `codec` when given and any other options.
 */
export function useMemcached(): (codec?: typeof rawCodec, options?: { ttl?: number }) => Client<string> {
  let server: MemcachedServer;
  beforeAll(async () => {
    server = await startMemcached();
  });
  afterAll(async () => {
    await server.stop();
  });
  const clients = useClients();
  // Both codecs store text; what comes back (text or bytes) is what the primitives must handle.
  return (codec, options) =>
    (codec === undefined
      ? clients({ servers: server.address, env: {}, ...options })
      : clients({ servers: server.address, env: {}, ...options, codec })) as unknown as Client<string>;
}
