import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM text of a throwaway PKI for TLS tests. Nothing of it is left on disk. */
export interface TestCertificates {
  /** The CA that signed `cert`: what a client passes as `tls.ca`. */
  ca: string;
  /** The server certificate, for `IP:127.0.0.1` and `DNS:localhost`, signed by `ca`. */
  cert: string;
  /** The server's private key (unencrypted). */
  key: string;
  /** A second CA that signed nothing here: a client trusting only it must refuse the server. */
  otherCa: string;
}

/** Long enough for any test run, short enough that a leaked key is worthless. */
const VALID_DAYS = '2';
/** P-256 keys: generated in milliseconds, unlike RSA, and every TLS stack here accepts them. */
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Creates a CA, a server certificate signed by it (SAN `IP:127.0.0.1, DNS:localhost`, so Node's
 * identity check passes whether the client dials the IP or the name), and an unrelated second CA,
 * with the openssl CLI in a temporary directory that is removed before returning.
 */
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'memwire-tls-'));
  const file = (name: string) => join(dir, name);
  try {
    await Promise.all([makeCa(file('ca'), 'memwire test CA'), makeCa(file('other-ca'), 'memwire other CA')]);
    await writeFile(
      file('server.ext'),
      [
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        'extendedKeyUsage = serverAuth',
        'subjectAltName = IP:127.0.0.1, DNS:localhost',
        '',
      ].join('\n'),
    );
    await openssl([
      'req',
      ...KEY_ARGS,
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      String(Date.now()),
      '-days',
      VALID_DAYS,
      '-extfile',
      file('server.ext'),
      '-out',
      file('server.pem'),
    ]);
    const [ca, cert, key, otherCa] = await Promise.all(
      ['ca.pem', 'server.pem', 'server.key', 'other-ca.pem'].map((name) => readFile(file(name), 'utf8')),
    );
    return { ca: ca!, cert: cert!, key: key!, otherCa: otherCa! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeCa(base: string, name: string): Promise<void> {
  await openssl([
    'req',
    '-x509',
    ...KEY_ARGS,
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.pem`,
    '-days',
    VALID_DAYS,
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints = critical, CA:TRUE',
    '-addext',
    'keyUsage = critical, keyCertSign, cRLSign',
  ]);
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 10_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`openssl ${args[0]} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}
