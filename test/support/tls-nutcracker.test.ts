import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type MemcachedServer,
  startMemcached,
  startNutcracker,
  stopAllMemcached,
  stopAllNutcracker,
} from './servers/index.mjs';
import { createTestCertificates, type TestCertificates } from './tls.js';

/** Sends `command` over TLS (trusting `ca`) and resolves with the first reply line. */
function tlsRequest(port: number, ca: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca }, () => socket.write(command));
    let reply = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      reply += text;
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.slice(0, reply.indexOf('\r\n')));
      }
    });
    socket.once('error', reject);
    socket.setTimeout(3_000, () => socket.destroy(new Error('no TLS reply in 3 s')));
  });
}

afterAll(async () => {
  await stopAllNutcracker();
  await stopAllMemcached();
});

describe('createTestCertificates', { timeout: 10_000 }, () => {
  let certs: TestCertificates;
  beforeAll(async () => {
    certs = await createTestCertificates();
  });

  test('the server certificate names 127.0.0.1 and localhost, and is signed by ca only', () => {
    const cert = new X509Certificate(certs.cert);
    const ca = new X509Certificate(certs.ca);
    const other = new X509Certificate(certs.otherCa);
    expect(cert.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(other)).toBe(false);
    expect(cert.verify(other.publicKey)).toBe(false);
    expect(ca.ca && other.ca).toBe(true);
  });

  test('the key belongs to the certificate', () => {
    expect(new X509Certificate(certs.cert).checkPrivateKey(createPrivateKey(certs.key))).toBe(true);
  });
});

describe('startMemcached with tls', { timeout: 10_000 }, () => {
  let certs: TestCertificates;
  let server: MemcachedServer;
  beforeAll(async () => {
    certs = await createTestCertificates();
    server = await startMemcached({ tls: { cert: certs.cert, key: certs.key } });
  });

  test('speaks TLS with the given certificate', async () => {
    expect(await tlsRequest(server.port, certs.ca, 'version\r\n')).toMatch(/^VERSION 1\.6/);
  });

  test('restart() after kill() serves TLS again; stop() removes the certificate files', async () => {
    const settings = await new Promise<string>((resolve, reject) => {
      const socket = connectTls({ host: '127.0.0.1', port: server.port, ca: certs.ca }, () =>
        socket.write('stats settings\r\n'),
      );
      let reply = '';
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => {
        reply += text;
        if (reply.endsWith('END\r\n')) {
          socket.destroy();
          resolve(reply);
        }
      });
      socket.once('error', reject);
    });
    const certFile = /STAT ssl_chain_cert (\S+)/.exec(settings)?.[1];
    expect(certFile).toBeDefined();
    expect(existsSync(certFile!)).toBe(true);

    await server.kill();
    await server.restart();
    expect(await tlsRequest(server.port, certs.ca, 'version\r\n')).toMatch(/^VERSION 1\.6/);
    const pid = server.pid as number;
    await server.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(certFile!)).toBe(false);
  });
});

describe('startNutcracker', { timeout: 10_000 }, () => {
  test('proxies to the pool, reports stats, and stop() ends it by pid', async () => {
    const backends = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    const proxy = await startNutcracker({ serverPorts: backends.map((server) => server.port) });
    expect(proxy.config).toContain('distribution: ketama');
    expect(proxy.config).toContain('hash: md5');
    expect(proxy.config).toContain('auto_eject_hosts: false');
    for (const server of backends) expect(proxy.config).toContain(`- 127.0.0.1:${server.port}:1`);

    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connectTcp(proxy.port, '127.0.0.1', () => socket.write('get absent\r\n'));
      socket.setEncoding('latin1');
      socket.once('data', (text: string) => {
        socket.destroy();
        resolve(text);
      });
      socket.once('error', reject);
    });
    expect(reply).toBe('END\r\n');
    const stats = await proxy.stats();
    expect(Object.keys(stats.requests).sort()).toEqual(backends.map((server) => server.address).sort());
    expect(stats.client_err).toBeTypeOf('number');

    const pid = proxy.pid as number;
    await proxy.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    await Promise.all(backends.map((server) => server.stop()));
  });
});
