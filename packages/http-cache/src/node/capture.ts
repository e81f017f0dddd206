import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { OriginHead, ServedResponse } from '../types.js';
import { CaptureHold } from './capture-budget.js';
import { writeServed } from './write-served.js';

/** What the application wrote, once it ended the response. */
export interface Captured {
  head: OriginHead;
  /** Every body byte as written, or undefined past `maxBodySize` (or when not kept). */
  body: Buffer | undefined;
  /** Tags from the tag header (removed before it was sent). */
  tags: string[];
  /** Whether the response carried Set-Cookie when it ended (hooks that add it at writeHead included). */
  setCookie: boolean;
}

export interface CaptureHooks {
  /** Body bytes to keep at most; 0 keeps none. */
  maxBodySize: number;
  /**
   * Most bytes all captures in this process may hold at once (see capture-budget.ts): past it, this
   * response is passed through with the socket's back-pressure, and not kept.
   * @default Infinity
   */
  maxCaptureBytes?: number | undefined;
  /** The header tags are read from and removed (lower-case). */
  tagHeader: string;
  /**
   * Called once, before anything is sent, with the status and headers: may return a response to send
   * instead (everything the application writes afterwards is then discarded).
   */
  onHead(head: OriginHead): ServedResponse | undefined;
  /** Called once when the application ends the response. */
  onEnd(captured: Captured): void | Promise<void>;
  /** `onEnd` runs before the end is passed on, which waits for its promise (else after). */
  holdEnd: boolean;
  /** Called when the response closes without the application ending it. */
  onAbort(): void;
  /** Headers set before the cache passed the request on: kept when a substitute response is sent. */
  inherited: ReadonlyMap<string, string>;
}

type Callback = (error?: Error | null) => void;
type WriteHead = ServerResponse['writeHead'];
type Write = ServerResponse['write'];
type End = ServerResponse['end'];

/**
 * Wraps `res.writeHead`, `res.write` and `res.end` to see the response as the application wrote it:
 * `res.send`/`res.json` (one `end`), `res.write` streams, `stream.pipe(res)` (writes and an end, with
 * back-pressure kept: each write returns what the wrapped one does), text or binary. Every byte goes
 * on to the client as it comes; a copy is kept for the cache.
 *
 * The status and headers are taken before the first byte moves on, so a compression middleware in
 * front (which wrapped these methods earlier, and sets Content-Encoding when the head goes out) is
 * not seen: the identity body is stored, and compressed again on the way out of every hit.
 */
export function captureResponse(res: ServerResponse, hooks: CaptureHooks): void {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end };
  /** capture: the application's output; through: our own substitute going out; discard: swallow the application's. */
  let mode: 'capture' | 'through' | 'discard' = 'capture';
  let head: OriginHead | undefined;
  let tags: string[] = [];
  let chunks: Buffer[] | undefined = hooks.maxBodySize > 0 ? [] : undefined;
  let size = 0;
  let ended = false;
  const held = new CaptureHold(hooks.maxCaptureBytes ?? Number.POSITIVE_INFINITY);
  /** Inside the end passed on: an end that writes its chunk through `res.write` (light-my-request's does) is kept once. */
  let ending = false;

  const keep = (chunk: unknown, encoding: unknown): void => {
    if (chunks === undefined || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = toBuffer(chunk, encoding);
    if (bytes === undefined) return;
    size += bytes.length;
    if (size > hooks.maxBodySize || !held.take(bytes.length)) chunks = undefined;
    else chunks.push(bytes);
  };

  const substitute = (served: ServedResponse): void => {
    mode = 'through';
    try {
      for (const name of res.getHeaderNames()) if (!hooks.inherited.has(name)) res.removeHeader(name);
      writeServed(res, served, original.end);
    } finally {
      mode = 'discard';
    }
  };

  const takeHead = (): void => {
    if (head !== undefined) return;
    tags = takeTags(res, hooks.tagHeader);
    // Node stamps Date only as the head goes out, after this: set it now, so the response stored is
    // the one the client got. A cache forwards the origin's Date (RFC 9110 §6.6.1), and Age counts from it.
    if (res.sendDate && !res.hasHeader('date')) res.setHeader('Date', new Date().toUTCString());
    head = { status: res.statusCode, headers: res.getHeaders() };
    let served: ServedResponse | undefined;
    try {
      served = hooks.onHead(head);
    } catch {
      served = undefined;
    }
    if (served !== undefined) substitute(served);
  };

  res.writeHead = function writeHead(this: ServerResponse, ...args: Parameters<WriteHead>) {
    if (mode === 'through') return original.writeHead.apply(this, args);
    if (mode === 'capture' && head === undefined) {
      const [statusCode, message] = args;
      this.statusCode = statusCode;
      applyHeaderArguments(this, args);
      takeHead();
      if (mode === 'capture') {
        return typeof message === 'string'
          ? original.writeHead.call(this, this.statusCode, message)
          : original.writeHead.call(this, this.statusCode);
      }
    }
    if (mode === 'discard') return this;
    return original.writeHead.apply(this, args);
  } as WriteHead;

  res.write = function write(this: ServerResponse, ...args: unknown[]) {
    if (mode === 'capture') takeHead();
    if (mode === 'discard') {
      callLater(args.find((arg) => typeof arg === 'function') as Callback | undefined);
      return true;
    }
    if (mode !== 'capture') return (original.write as (...a: unknown[]) => boolean).apply(this, args);
    if (!ending) keep(args[0], args[1]);
    const flushed = (original.write as (...a: unknown[]) => boolean).apply(this, args);
    // While the body is being kept (bounded by maxBodySize, and all captures by maxCaptureBytes), the
    // application is not paused for the socket: the response is complete, and handed to the requests
    // waiting for it, when the application is done, not when a slow client has read it. Past the
    // bounds, the socket's back-pressure applies again (a `false` here makes `res` emit 'drain').
    return chunks === undefined ? flushed : true;
  } as Write;

  res.end = function end(this: ServerResponse, ...args: unknown[]) {
    const forward = () => {
      ending = true;
      try {
        return (original.end as (...a: unknown[]) => ServerResponse).apply(this, args);
      } finally {
        ending = false;
      }
    };
    if (mode === 'through' || ended) return forward();
    ended = true;
    takeHead();
    if (mode === 'discard') {
      callLater(args.find((arg) => typeof arg === 'function') as Callback | undefined);
      hooks.onAbort();
      return this;
    }
    if (this.destroyed) {
      // The client is gone (its socket closed) and the application ends anyway, from a 'close'
      // listener that ran before ours: what it wrote never reached the client whole.
      hooks.onAbort();
      return forward();
    }
    keep(args[0], args[1]);
    // A body shorter or longer than its Content-Length is one the application did not finish (or
    // got wrong): the client got a broken response, and nobody else may get it (RFC 9112 §6.3, RFC
    // 9111 §3.3: an incomplete response is not stored as complete).
    if (chunks !== undefined && !matchesDeclaredLength(head!, size)) chunks = undefined;
    const captured = (): Captured => ({
      head: head!,
      body: chunks === undefined ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      tags,
      setCookie: res.hasHeader('set-cookie'),
    });
    if (hooks.holdEnd) {
      let waiting: Promise<void>;
      try {
        waiting = Promise.resolve(hooks.onEnd(captured()));
      } catch {
        waiting = Promise.resolve();
      }
      waiting.catch(() => {}).finally(forward);
      return this;
    }
    const result = forward();
    try {
      void Promise.resolve(hooks.onEnd(captured())).catch(() => {});
    } catch {
      // The cache never breaks a response.
    }
    return result;
  } as End;

  res.once('close', () => {
    // Closed: every byte has left for the socket, or never will. The capture holds no more.
    held.release();
    if (!ended) hooks.onAbort();
  });
}

/** Whether `size` body bytes are what the head's Content-Length declared (true when it declared none). */
function matchesDeclaredLength(head: OriginHead, size: number): boolean {
  const declared = head.headers['content-length'];
  if (declared === undefined) return true;
  const text = Array.isArray(declared) ? declared.join(',') : String(declared);
  // RFC 9110 §8.6: a list of identical values is that value; anything else is not a length.
  const values = new Set(text.split(',').map((value) => value.trim()));
  if (values.size !== 1) return false;
  const [value] = values;
  return /^[0-9]+$/.test(value!) && Number(value) === size;
}

/** The tags in the tag header, which is removed: it is for the cache, not the client. */
function takeTags(res: ServerResponse, tagHeader: string): string[] {
  const value = res.getHeader(tagHeader);
  if (value === undefined) return [];
  res.removeHeader(tagHeader);
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

/**
 * `writeHead(status, [message], [headers])` merges `headers` into those already set; they are set
 * on `res` first so the head taken sees them (as the `on-headers` package does).
 */
function applyHeaderArguments(res: ServerResponse, args: unknown[]): void {
  const headers = typeof args[1] === 'string' ? args[2] : args[1];
  if (headers === undefined || headers === null) return;
  if (Array.isArray(headers)) {
    // Either [[name, value], …] or a flat [name, value, name, value, …].
    const pairs: unknown[][] = Array.isArray(headers[0])
      ? (headers as unknown[][])
      : Array.from({ length: headers.length / 2 }, (_, i) => [headers[2 * i], headers[2 * i + 1]]);
    const grouped = new Map<string, string[]>();
    for (const [name, value] of pairs) {
      const key = String(name).toLowerCase();
      grouped.set(key, [...(grouped.get(key) ?? []), String(value)]);
    }
    for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? values[0]! : values);
    return;
  }
  const object = headers as OutgoingHttpHeaders;
  for (const name of Object.keys(object)) {
    const value = object[name];
    if (value !== undefined) res.setHeader(name, value);
  }
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  }
  return undefined;
}

function callLater(callback: Callback | undefined): void {
  if (callback !== undefined) process.nextTick(callback);
}
