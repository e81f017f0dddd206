import {
  type CallOptions,
  type CasToken,
  type Client,
  ClientClosedError,
  type GetManyOptions,
  type Outcome,
  type WriteOptions,
} from '@memwire/core';
import type { CacheClient } from '@memwire/http-cache';

type BytesClient = Client<string | Uint8Array, Buffer>;

/**
 * The response cache's client, created on its first command: an application that never serves a
 * `@CacheResponse()` route opens no second set of connections (nor starts a second auto discovery).
 */
export class LazyCacheClient implements CacheClient {
  private client: BytesClient | undefined;
  private closed = false;

  constructor(private readonly create: () => BytesClient) {}

  /** The client, created now if it was not yet. Throws once closed. */
  private get real(): BytesClient {
    if (this.client === undefined) {
      if (this.closed) throw new ClientClosedError();
      this.client = this.create();
    }
    return this.client;
  }

  // Async, so a closed cache rejects rather than throws.
  async get(key: string, options?: CallOptions): Promise<unknown> {
    return this.real.get(key, options);
  }

  async getMany(keys: Iterable<string>, options?: GetManyOptions): Promise<Map<string, unknown>> {
    return this.real.getMany(keys, options);
  }

  async set(key: string, value: string | Buffer, options?: WriteOptions): Promise<boolean> {
    return this.real.set(key, value, options);
  }

  async setMany(
    entries: Iterable<readonly [string, string | Buffer]>,
    options?: WriteOptions,
  ): Promise<Map<string, Outcome<boolean>>> {
    return this.real.setMany(entries, options);
  }

  async add(key: string, value: string | Buffer, options?: WriteOptions): Promise<boolean> {
    return this.real.add(key, value, options);
  }

  async delete(key: string, options?: CallOptions): Promise<boolean> {
    return this.real.delete(key, options);
  }

  async incr(key: string, delta?: number, options?: CallOptions): Promise<number | undefined> {
    return this.real.incr(key, delta, options);
  }

  async gets(key: string, options?: CallOptions): Promise<{ value: unknown; cas: CasToken } | undefined> {
    return this.real.gets(key, options);
  }

  async cas(key: string, value: string | Buffer, cas: CasToken, options?: WriteOptions): Promise<boolean> {
    return this.real.cas(key, value, cas, options);
  }

  /** Closes the client if it was ever created; later commands throw. */
  async close(): Promise<void> {
    this.closed = true;
    await this.client?.close();
  }
}
