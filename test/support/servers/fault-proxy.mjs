import { connect, createServer } from 'node:net';
import { listenOnFreePort } from './ports.mjs';

// The Fault and FaultProxy types, and what each fault does, are documented in fault-proxy.d.mts.

/**
 * One client connection and its own connection to the server.
 * @typedef {object} Link
 * @property {import('node:net').Socket} client
 * @property {import('node:net').Socket} upstream
 * @property {Buffer[]} heldRequests held by `stall`, in arrival order, per direction
 * @property {Buffer[]} heldReplies
 * @property {number} slowDue when the last slowed piece is due, so pieces keep their order
 * @property {number} cutCount reply bytes forwarded since the current `cut` was set
 * @property {boolean} cut nothing more crosses, even before the sockets are gone
 * @property {boolean} upstreamClosed the server closed its end: the link ends once the slowed pieces
 *   still due are written
 * @property {Set<NodeJS.Timeout>} timers
 */

/** Proxies not yet closed, for closeAllFaultProxies(). */
const proxies = new Set();

export async function closeAllFaultProxies() {
  await Promise.all([...proxies].map((proxy) => proxy.close()));
}

/** A TCP proxy to `127.0.0.1:upstreamPort` (usually a real memcached) with switchable faults. */
export async function startFaultProxy(upstreamPort, initial = { kind: 'pass' }) {
  const links = new Set();
  let fault = initial;
  let accepted = 0;
  let received = 0;

  const destroy = (link) => {
    if (!links.delete(link)) return;
    for (const timer of link.timers) clearTimeout(timer);
    link.timers.clear();
    link.heldRequests = [];
    link.heldReplies = [];
    link.client.destroy();
    link.upstream.destroy();
  };

  const later = (link, ms, run) => {
    const timer = setTimeout(() => {
      link.timers.delete(timer);
      run();
      if (link.upstreamClosed && link.timers.size === 0) destroy(link);
    }, ms);
    link.timers.add(timer);
  };

  const toClient = (link, chunk) => {
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

  const toUpstream = (link, chunk) => {
    if (link.cut) return;
    if (fault.kind === 'stall') link.heldRequests.push(chunk);
    else link.upstream.write(chunk);
  };

  /** After a stall: what was held flows on, under the new fault. */
  const release = (link) => {
    const requests = link.heldRequests;
    const replies = link.heldReplies;
    link.heldRequests = [];
    link.heldReplies = [];
    for (const chunk of requests) toUpstream(link, chunk);
    for (const chunk of replies) toClient(link, chunk);
  };

  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(upstreamPort, '127.0.0.1');
    const link = {
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
    client.on('data', (chunk) => {
      received += chunk.length;
      toUpstream(link, chunk);
    });
    upstream.on('data', (chunk) => toClient(link, chunk));
  });

  const port = await listenOnFreePort(server);
  const proxy = {
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
      proxies.delete(proxy);
      for (const link of [...links]) destroy(link);
      return new Promise((done) => server.close(() => done()));
    },
  };
  proxies.add(proxy);
  return proxy;
}
