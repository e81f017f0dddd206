import type { CallOptions, CasToken, WriteOptions } from '@memwire/core';

/**
 * The part of a `@memwire/core` `Client` the counter needs. Any codec that stores a string as its
 * text works: `incr` and `decr` act on the stored bytes as a decimal number (protocol.txt), and the
 * default codec, `rawCodec` and the PHP and Python codecs all store a string as is.
 */
export interface CounterClient {
  get(key: string, options?: CallOptions): Promise<unknown>;
  gets(key: string, options?: CallOptions): Promise<{ value: unknown; cas: CasToken } | undefined>;
  add(key: string, value: string, options?: WriteOptions): Promise<boolean>;
  cas(key: string, value: string, cas: CasToken, options?: WriteOptions): Promise<boolean>;
  incr(key: string, delta?: number, options?: CallOptions): Promise<number | undefined>;
  decr(key: string, delta?: number, options?: CallOptions): Promise<number | undefined>;
  delete(key: string, options?: CallOptions): Promise<boolean>;
  close(): Promise<void>;
}
