import type { IncomingHttpHeaders } from 'node:http';
import type { CacheStatus, HeaderList, OriginHead, OriginResponse, ServedResponse } from '../types.js';

/**
 * What to do with a request, decided by {@link HttpCache.begin}. Every kind carries `headers` to set
 * before going on (the cache status header).
 */
export type Exchange =
  /** Answer from the cache: write `response` and stop. */
  | { kind: 'serve'; cacheStatus: CacheStatus; headers: HeaderList; response: ServedResponse }
  /**
   * Go to the origin and capture its response: call `onHead` when its status and headers are known
   * (before any body byte is sent: it may hand back a stale response to send instead, by
   * stale-if-error), then `finish` once the body is complete, or with undefined if it never completes.
   * `finish` stores in the background: call it after the response has been sent.
   */
  | {
      kind: 'fetch';
      cacheStatus: 'MISS';
      headers: HeaderList;
      /** Keep at most this many body bytes; past it, stop keeping them and pass `body: undefined`. */
      maxBodySize: number;
      /** Most bytes all captures in the process may hold at once (the `maxCaptureBytes` option). */
      maxCaptureBytes: number;
      /**
       * The request headers the origin is to see instead of the client's: a copy carrying the cache's
       * `If-None-Match` / `If-Modified-Since` (RFC 9111 §4.3.1); undefined to pass them as they are.
       * The copy is the origin's only: the client's request is what the cache keys and varies on.
       */
      requestHeaders?: IncomingHttpHeaders | undefined;
      onHead(head: OriginHead): ServedResponse | undefined;
      finish(response: OriginResponse | undefined): void;
    }
  /**
   * An unsafe method: go to the origin, and before its response ends, await `finish` with its head:
   * a success invalidates the URL, so the client's next read sees the change (read-your-writes).
   */
  | {
      kind: 'invalidate';
      cacheStatus: 'BYPASS';
      headers: HeaderList;
      finish(head: OriginHead): Promise<void>;
    }
  /** Go to the origin; nothing to capture. */
  | { kind: 'pass'; cacheStatus: 'MISS' | 'BYPASS'; headers: HeaderList };
