import { type ClientOptions, resolveConfig, type Value } from '@memwire/core';
import { describe, expect, test } from 'vitest';
import { configWarnings } from '../src/doctor/findings.js';

// These look at the configuration only: nothing connects, so remote host names are safe here.
const warningsFor = async (options: ClientOptions<Value>) =>
  (await configWarnings(resolveConfig<Value, Value>({ env: false, ...options }))).map(
    (warning) => warning.code,
  );

describe('configuration warnings', () => {
  test('credentials without TLS to a host that is not loopback', async () => {
    const options = { servers: 'cache.example.com:11211', username: 'u', password: 'p' };
    expect(await warningsFor(options)).toEqual(['CLEARTEXT_CREDENTIALS']);
  });

  test('no clear-text warning with TLS, on loopback, or without credentials', async () => {
    expect(
      await warningsFor({ servers: 'cache.example.com:11211', username: 'u', password: 'p', tls: true }),
    ).toEqual([]);
    expect(await warningsFor({ servers: '127.0.0.1:11211', username: 'u', password: 'p' })).toEqual([]);
    expect(await warningsFor({ servers: 'cache.example.com:11211' })).toEqual([]);
  });

  test('one server needs no ring, so names and weights are not warned about', async () => {
    expect(await warningsFor({ servers: 'localhost:11211:3' })).toEqual([]);
  });

  test('the same server listed twice', async () => {
    expect(await warningsFor({ servers: '127.0.0.1:11211,127.0.0.1:11211' })).toContain('DUPLICATE_SERVER');
  });

  test('weights, which clients that ignore them place differently', async () => {
    expect(await warningsFor({ servers: '127.0.0.1:11211:2,127.0.0.2:11211' })).toEqual(['WEIGHTS']);
  });
});
