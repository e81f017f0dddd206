import { connect } from 'node:net';

/**
 * Talks to one memcached directly over a raw socket, through no client's ring, so a test can see
 * where keys really are. Deliberately shares no code with @memwire/core.
 */

const REPLY_MS = 5_000;
const KEYS_PER_GET = 100;
const CRLF = Buffer.from('\r\n');

/** Which of `keys` the server at host:port holds. */
export async function keysHeldBy(host: string, port: number, keys: readonly string[]): Promise<Set<string>> {
  const lines: string[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_GET) {
    lines.push(`get ${keys.slice(i, i + KEYS_PER_GET).join(' ')}\r\n`);
  }
  const held = new Set<string>();
  let ends = 0;
  // Reply: per get, `VALUE <key> <flags> <bytes>\r\n<data>\r\n`… then `END\r\n`.
  await exchange(host, port, lines.join(''), (buffer) => {
    let offset = 0;
    for (;;) {
      const lineEnd = buffer.indexOf(CRLF, offset);
      if (lineEnd === -1) break;
      const line = buffer.subarray(offset, lineEnd).toString('utf8');
      if (line === 'END') {
        ends += 1;
        offset = lineEnd + 2;
        continue;
      }
      const [word, key, , size] = line.split(' ');
      if (word !== 'VALUE' || key === undefined) throw new Error(`${host}:${port} answered ${line}`);
      const dataEnd = lineEnd + 2 + Number(size) + 2;
      // The data block has not fully arrived yet.
      if (buffer.length < dataEnd) break;
      held.add(key);
      offset = dataEnd;
    }
    return { consumed: offset, done: ends === lines.length };
  });
  return held;
}

/** Empties the server, so each scenario starts from nothing. */
export async function flushAll(host: string, port: number): Promise<void> {
  await exchange(host, port, 'flush_all\r\n', (buffer) => {
    const done = buffer.includes('OK\r\n');
    if (!done && buffer.includes(CRLF)) throw new Error(`${host}:${port} answered ${buffer.toString()}`);
    return { consumed: 0, done };
  });
}

/** Sends `request`, feeds unconsumed reply bytes to `read` until it says done; bounded by REPLY_MS. */
function exchange(
  host: string,
  port: number,
  request: string,
  read: (buffer: Buffer) => { consumed: number; done: boolean },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let pending = Buffer.alloc(0);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new Error(`${host}:${port}: no full reply in ${REPLY_MS} ms`)),
      REPLY_MS,
    );
    socket.once('error', finish);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      try {
        const { consumed, done } = read(pending);
        pending = pending.subarray(consumed);
        if (done) finish();
      } catch (error) {
        finish(error as Error);
      }
    });
  });
}
