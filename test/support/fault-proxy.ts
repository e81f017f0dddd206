import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does to the bytes crossing it. Faults apply to every connection, open or new, from
 * the moment they are set; `cut` and `garbage` strike once and then the proxy passes bytes through.
 * - `pass`: relays both ways untouched.
 * - `stall`: holds every byte, both ways, as a frozen server or a partitioned network would; the
 *   held bytes flow on, in order, once the fault changes to `pass` or `slow`.
 * - `slow`: delays each reply by `delayMs`, cut into pieces of `chunkBytes` (default: as read)
 *   that arrive `delayMs` apart, so a reply also reaches the client split at awkward places.
 * - `cut`: forwards `afterBytes` more bytes of reply, then destroys that connection both ways — a
 *   server crashing mid-reply.
 * - `garbage`: writes `bytes` to the client just before the next reply, as if the server had said it.
 */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'stall' }
  | { kind: 'slow'; delayMs: number; chunkBytes?: number }
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'garbage'; bytes: string | Buffer };

export interface FaultProxy {
  readonly port: number;
  /** `127.0.0.1:PORT`, for the client's server list. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Bytes received from clients so far, held ones included: whether anything was sent at all. */
  readonly received: number;
  /** The fault in force (`pass` again once a one-shot `cut` or `garbage` has struck). */
  readonly fault: Fault;
  setFault(fault: Fault): void;
  /** Destroys every connection, drops every held byte, clears every timer, and stops listening. */
  close(): Promise<void>;
}

/** One client connection and its own connection to the server. */
interface Link {
  client: Socket;
  upstream: Socket;
  /** Held by `stall`, in arrival order, per direction. */
  heldRequests: Buffer[];
  heldReplies: Buffer[];
  /** When the last slowed piece is due, so pieces keep their order. */
  slowDue: number;
  /** Reply bytes forwarded since the current `cut` was set. */
  cutCount: number;
  /** Cut: nothing more crosses, even before the sockets are gone. */
  cut: boolean;
  /** The server closed its end: the link ends once the slowed pieces still due are written. */
  upstreamClosed: boolean;
  timers: Set<NodeJS.Timeout>;
}

/** A TCP proxy to `127.0.0.1:upstreamPort` (usually a real memcached) with switchable faults. */
export function startFaultProxy(
  upstreamPort: number,
  initial: Fault = { kind: 'pass' },
): Promise<FaultProxy> {
  const links = new Set<Link>();
  let fault = initial;
  let accepted = 0;
  let received = 0;

  const destroy = (link: Link): void => {
    if (!links.delete(link)) return;
    for (const timer of link.timers) clearTimeout(timer);
    link.timers.clear();
    link.heldRequests = [];
    link.heldReplies = [];
    link.client.destroy();
    link.upstream.destroy();
  };

  const later = (link: Link, ms: number, run: () => void): void => {
    const timer = setTimeout(() => {
      link.timers.delete(timer);
      run();
      if (link.upstreamClosed && link.timers.size === 0) destroy(link);
    }, ms);
    link.timers.add(timer);
  };

  const toClient = (link: Link, chunk: Buffer): void => {
    if (link.cut) return;
    switch (fault.kind) {
      case 'pass':
        link.client.write(chunk);
        return;
      case 'stall':
        link.heldReplies.push(chunk);
        return;
      case 'slow': {
        const { delayMs, chunkBytes = chunk.length } = fault;
        for (let offset = 0; offset < chunk.length; offset += chunkBytes) {
          const piece = chunk.subarray(offset, offset + chunkBytes);
          link.slowDue = Math.max(Date.now(), link.slowDue) + delayMs;
          later(link, link.slowDue - Date.now(), () => link.client.write(piece));
        }
        return;
      }
      case 'cut': {
        const room = fault.afterBytes - link.cutCount;
        if (room > chunk.length) {
          link.cutCount += chunk.length;
          link.client.write(chunk);
          return;
        }
        fault = { kind: 'pass' };
        link.cut = true;
        // Destroy only once the partial reply is flushed, so the client sees it before the cut.
        link.client.write(chunk.subarray(0, room), () => destroy(link));
        return;
      }
      case 'garbage': {
        const { bytes } = fault;
        fault = { kind: 'pass' };
        link.client.write(bytes);
        link.client.write(chunk);
        return;
      }
    }
  };

  const toUpstream = (link: Link, chunk: Buffer): void => {
    if (link.cut) return;
    if (fault.kind === 'stall') link.heldRequests.push(chunk);
    else link.upstream.write(chunk);
  };

  /** After a stall: what was held flows on, under the new fault. */
  const release = (link: Link): void => {
    const requests = link.heldRequests;
    const replies = link.heldReplies;
    link.heldRequests = [];
    link.heldReplies = [];
    for (const chunk of requests) toUpstream(link, chunk);
    for (const chunk of replies) toClient(link, chunk);
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect(upstreamPort, '127.0.0.1');
    const link: Link = {
      client,
      upstream,
      heldRequests: [],
      heldReplies: [],
      slowDue: 0,
      cutCount: 0,
      cut: false,
      upstreamClosed: false,
      timers: new Set(),
    };
    links.add(link);
    // Either side may reset on purpose (a client timing out, a killed server): that ends the link.
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => destroy(link));
    upstream.on('close', () => {
      // memcached closes after answering `quit`: deliver the slowed replies still due first.
      link.upstreamClosed = true;
      if (link.timers.size === 0) destroy(link);
    });
    client.on('data', (chunk: Buffer) => {
      received += chunk.length;
      toUpstream(link, chunk);
    });
    upstream.on('data', (chunk: Buffer) => toClient(link, chunk));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('startFaultProxy: server has no TCP address'));
        return;
      }
      const { port } = address;
      resolve({
        port,
        address: `127.0.0.1:${port}`,
        get accepted() {
          return accepted;
        },
        get open() {
          return links.size;
        },
        get received() {
          return received;
        },
        get fault() {
          return fault;
        },
        setFault(next) {
          const wasStalled = fault.kind === 'stall';
          fault = next;
          for (const link of links) {
            link.cutCount = 0;
            if (wasStalled && next.kind !== 'stall') release(link);
          }
        },
        close() {
          for (const link of [...links]) destroy(link);
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
