import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { ConfigError, ConnectionError, createClient } from '../../src/index.js';
import { useClients } from './helpers.js';

/** A logger that keeps what it is told, by level. */
function recorder() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    warn: (message: string) => lines.push({ level: 'warn', message }),
    error: (message: string) => lines.push({ level: 'error', message }),
    info: (message: string) => lines.push({ level: 'info', message }),
  };
}

const newClient = useClients();
let plain: MemcachedServer;
let auth: MemcachedServer;
beforeAll(async () => {
  [plain, auth] = await Promise.all([
    startMemcached(),
    startMemcached({ auth: { username: 'app', password: 'right-secret' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), auth?.stop()]);
});

describe('the logger option', () => {
  test('a dead server is one line however many commands fail, and its recovery one more', async () => {
    const logger = recorder();
    const client = newClient({
      servers: plain.address,
      logger,
      failureThreshold: 1,
      retryDelay: 20,
      maxRetryDelay: 40,
      poolSize: 1,
    });
    expect(await client.set('logged', 'v')).toBe(true);
    await plain.kill();
    const failures = await Promise.allSettled(Array.from({ length: 20 }, () => client.set('logged', 'v')));
    expect(failures.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(new RegExp(`^memwire: ${plain.address} is down \\(ERR_MEMWIRE_`)),
      },
    ]);
    await plain.restart();
    await expect.poll(() => logger.lines.length, { timeout: 5_000 }).toBe(2);
    expect(logger.lines[1]).toEqual({ level: 'info', message: `memwire: ${plain.address} is up again` });
    expect(await client.set('logged', 'v')).toBe(true);
  });

  test('a refused login is an error line that names no secret', async () => {
    const logger = recorder();
    const client = newClient({
      servers: auth.address,
      username: 'app',
      password: 'wrong-secret',
      authDialect: 'memcached',
      logger,
      failureThreshold: 1,
    });
    await expect(client.get('k')).rejects.toThrow();
    await expect.poll(() => logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines[0]!.level).toBe('error');
    expect(logger.lines[0]!.message).toMatch(new RegExp(`^memwire: login to ${auth.address} refused`));
    expect(JSON.stringify(logger.lines)).not.toContain('wrong-secret');
  });

  test('credentials in clear text to another host: one warning to the logger, none to the process', async () => {
    const logger = recorder();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      // No command is sent: connections open on the first one.
      newClient({ servers: '192.0.2.10:11211', username: 'app', password: 'pw', logger });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(logger.lines).toEqual([{ level: 'warn', message: expect.stringContaining('clear text') }]);
    expect(warnings.filter((message) => message.includes('clear text'))).toEqual([]);
  });

  test('a logger with only warn gets every line at warn', async () => {
    const lines: string[] = [];
    const client = newClient({
      servers: '127.0.0.1:1',
      logger: { warn: (message) => lines.push(message) },
      failureThreshold: 1,
      retryDelay: 10_000,
    });
    await expect(client.get('k')).rejects.toBeInstanceOf(ConnectionError);
    expect(lines).toEqual([expect.stringMatching(/^memwire: 127\.0\.0\.1:1 is down/)]);
  });

  test('a logger without warn() is a ConfigError', () => {
    expect(() => createClient({ env: {}, logger: {} as never })).toThrow(ConfigError);
  });
});
