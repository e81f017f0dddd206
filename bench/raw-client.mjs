// Raw baseline client for the benchmarks: one socket, requests written as they are issued, replies
// parsed in FIFO order. Roughly the ceiling for a simple JS text-protocol client (no hashing, no flags,
// no serialization). Used by core.mjs (one server) and cluster.mjs (one per server, keys routed by ketama).

import net from 'node:net';

const CRLF = Buffer.from('\r\n');

export class RawClient {
  // batch=false: one socket.write per op, TCP_NODELAY on (the baseline asked for).
  // batch=true: same, but the socket is corked on the first write of an event-loop turn and uncorked on
  // process.nextTick, so every op issued in that turn goes out in one write syscall / TCP segment.
  constructor(port, { batch = false } = {}) {
    this.port = port;
    this.batch = batch;
    this.corked = false;
    this.uncork = () => {
      this.corked = false;
      this.socket.uncork();
    };
    this.queue = []; // pending requests, oldest first (head index avoids O(n) shift)
    this.head = 0;
    this.buf = null; // unparsed bytes
  }

  connect() {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: this.port });
      s.setNoDelay(true);
      s.once('connect', () => resolve());
      s.once('error', reject);
      s.on('error', (err) => this.failAll(err));
      s.on('close', () => this.failAll(new Error('raw: connection closed')));
      s.on('data', (chunk) => this.onData(chunk));
      this.socket = s;
    });
  }

  failAll(err) {
    while (this.head < this.queue.length) this.queue[this.head++].reject(err);
    this.queue = [];
    this.head = 0;
  }

  push(req) {
    this.queue.push(req);
    return req.promise;
  }

  request(kind) {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return {
      kind,
      resolve,
      reject,
      promise,
      values: kind === 'multi' ? new Map() : undefined,
      value: undefined,
    };
  }

  write(data) {
    if (this.batch && !this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(data);
  }

  get(key) {
    this.write(`get ${key}\r\n`);
    return this.push(this.request('get'));
  }

  getMany(keys) {
    this.write(`get ${keys.join(' ')}\r\n`);
    return this.push(this.request('multi'));
  }

  set(key, value) {
    this.write(`set ${key} 0 0 ${Buffer.byteLength(value)}\r\n${value}\r\n`);
    return this.push(this.request('set'));
  }

  onData(chunk) {
    const buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    for (;;) {
      const eol = buf.indexOf(CRLF, pos);
      if (eol === -1) break;
      const req = this.queue[this.head];
      if (req === undefined) throw new Error('raw: reply with no pending request');
      const c0 = buf[pos];
      if (c0 === 0x56 /* V: VALUE <key> <flags> <bytes> */) {
        const sp = buf.lastIndexOf(0x20, eol);
        const bytes = Number.parseInt(buf.latin1Slice(sp + 1, eol), 10);
        const dataStart = eol + 2;
        if (buf.length < dataStart + bytes + 2) break; // data block split across chunks: wait for more
        const value = buf.toString('utf8', dataStart, dataStart + bytes);
        if (req.kind === 'multi') {
          const keyEnd = buf.indexOf(0x20, pos + 6);
          req.values.set(buf.latin1Slice(pos + 6, keyEnd), value);
        } else {
          req.value = value;
        }
        pos = dataStart + bytes + 2;
        continue;
      }
      const lineLen = eol - pos;
      const lineStart = pos;
      pos = eol + 2;
      this.queue[this.head++] = undefined; // don't retain answered requests until the next compaction
      if (c0 === 0x45 /* E */ && lineLen === 3 /* END */) {
        req.resolve(req.kind === 'multi' ? req.values : req.value);
      } else if (c0 === 0x53 /* S */ && lineLen === 6 /* STORED */) {
        req.resolve(true);
      } else if (c0 === 0x4e /* N: NOT_STORED */) {
        req.resolve(false);
      } else {
        req.reject(new Error(`raw: ${buf.latin1Slice(lineStart, eol)}`)); // ERROR / CLIENT_ERROR / SERVER_ERROR
      }
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    this.buf = pos === buf.length ? null : buf.subarray(pos);
  }

  close() {
    this.socket.end();
    this.socket.destroy();
  }
}
