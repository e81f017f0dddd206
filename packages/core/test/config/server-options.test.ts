import { describe, expect, test } from 'vitest';
import { resolveConfig, serverOptionsFrom } from '../../src/index.js';

describe('serverOptionsFrom: one server of a resolved configuration, as the application reaches it', () => {
  test('carries credentials, dialect, TLS, proxy and timeouts, for that server alone, env not read again', () => {
    const config = resolveConfig({
      servers: 'a.example:11211,b.example:11212',
      username: 'user',
      password: 'secret',
      tls: { rejectUnauthorized: false },
      proxy: 'twemproxy',
      connectTimeout: 1234,
      commandTimeout: 567,
      env: {},
    });
    const options = serverOptionsFrom(config, config.servers[1]!);
    expect(options).toMatchObject({
      env: false,
      servers: 'b.example:11212',
      username: 'user',
      password: 'secret',
      tls: { rejectUnauthorized: false },
      proxy: 'twemproxy',
      connectTimeout: 1234,
      commandTimeout: 567,
      poolSize: 1,
    });
    // What it builds is a configuration the client accepts, naming that one server.
    expect(resolveConfig(options).servers.map((s) => `${s.host}:${s.port}`)).toEqual(['b.example:11212']);
  });

  test('IronCache credentials, and overrides that win', () => {
    const config = resolveConfig({
      servers: 'cache.example:11211',
      ironcache: { token: 't', projectId: 'p', cacheName: 'c' },
      env: {},
    });
    const options = serverOptionsFrom(config, 'cache.example:11211', { commandTimeout: 50 });
    expect(options.ironcache).toEqual({ token: 't', projectId: 'p', cacheName: 'c' });
    expect([options.commandTimeout, options.tls, options.username]).toEqual([50, false, undefined]);
  });
});
