import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import * as src from '../src/index.js';

type Core = typeof src;

const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let esm: Core;
let cjs: Core;

beforeAll(async () => {
  // CI builds before running vitest; a local run without a build gets one here.
  if (!existsSync(join(coreDir, 'dist/index.cjs'))) {
    execFileSync(process.execPath, [resolve(coreDir, '../../node_modules/tsdown/dist/run.mjs')], {
      cwd: coreDir,
      stdio: 'ignore',
    });
  }
  esm = (await import(join(coreDir, 'dist/index.mjs'))) as Core;
  cjs = createRequire(import.meta.url)(join(coreDir, 'dist/index.cjs')) as Core;
}, 60_000);

describe('instanceof across copies of @memwire/core', () => {
  test('the ESM and CommonJS builds are two copies with their own classes', () => {
    expect(cjs.ConfigError).not.toBe(esm.ConfigError);
  });

  test("a ConfigError of the CommonJS build is instanceof the ESM build's ConfigError, and back", () => {
    expect(new cjs.ConfigError('x')).toBeInstanceOf(esm.ConfigError);
    expect(new esm.ConfigError('x')).toBeInstanceOf(cjs.ConfigError);
    expect(new cjs.ConfigError('x')).toBeInstanceOf(src.ConfigError);
  });

  test("a subclass from one copy is instanceof the other copy's base classes", () => {
    const error = new cjs.ValueTooLargeError(10, 5);
    expect(error).toBeInstanceOf(esm.MemwireError);
    expect(error).toBeInstanceOf(esm.ValueTooLargeError);
    expect(error).toBeInstanceOf(Error);
    expect(new cjs.ItemTooLargeError('SERVER_ERROR object too large for cache')).toBeInstanceOf(
      esm.ServerError,
    );
    expect(new cjs.AuthRequiredError('login required')).toBeInstanceOf(esm.AuthError);
  });

  test('a class does not claim instances of its siblings or of its base class', () => {
    expect(new cjs.ConfigError('x')).not.toBeInstanceOf(esm.ConnectionError);
    expect(new cjs.MemwireError(esm.ErrorCodes.CONFIG, 'x')).not.toBeInstanceOf(esm.ConfigError);
    expect(new cjs.ServerError('SERVER_ERROR x')).not.toBeInstanceOf(esm.ItemTooLargeError);
    expect(new Error('x')).not.toBeInstanceOf(esm.MemwireError);
    expect(null).not.toBeInstanceOf(esm.MemwireError);
    expect({ code: 'ERR_MEMWIRE_CONFIG' }).not.toBeInstanceOf(esm.MemwireError);
  });

  test("an application's own subclass keeps the ordinary prototype check", () => {
    class MyConfigError extends src.ConfigError {}
    expect(new MyConfigError('x')).toBeInstanceOf(MyConfigError);
    expect(new MyConfigError('x')).toBeInstanceOf(esm.ConfigError);
    expect(new src.ConfigError('x')).not.toBeInstanceOf(MyConfigError);
  });
});

describe('error codes', () => {
  test('every error class has its own stable code', () => {
    expect(new src.AuthRequiredError('x').code).toBe('ERR_MEMWIRE_AUTH_REQUIRED');
    expect(new src.ItemTooLargeError('x').code).toBe('ERR_MEMWIRE_ITEM_TOO_LARGE');
    expect(new src.DiscoveryError('x').code).toBe('ERR_MEMWIRE_DISCOVERY');
    expect(new src.AuthError('x').code).toBe('ERR_MEMWIRE_AUTH');
    expect(new src.ServerError('x').code).toBe('ERR_MEMWIRE_SERVER_ERROR');
  });

  test("a ConnectionError keeps the system call's code, also when a marked-down error wraps it", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    const error = new src.ConnectionError('connection to a:1 failed', { cause: refused });
    expect(error.syscallCode).toBe('ECONNREFUSED');
    expect(new src.ConnectionError('a:1 is marked down', { cause: error }).syscallCode).toBe('ECONNREFUSED');
    // A TLS failure has a code but no system call: it is not a syscall code.
    const tls = Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(new src.ConnectionError('tls', { cause: tls }).syscallCode).toBeUndefined();
  });
});
