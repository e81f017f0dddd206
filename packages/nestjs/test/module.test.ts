import 'reflect-metadata';
import { type Client, createClient, ErrorCodes } from '@memwire/core';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import {
  getMemwireToken,
  InjectMemwire,
  type MemwireClientOptions,
  MemwireModule,
  type MemwireOptionsFactory,
} from '../src/index.js';
import { startApp, uniquePrefix } from './helpers.js';

let first: MemcachedServer;
let second: MemcachedServer;
let probe: Client;

beforeAll(async () => {
  [first, second] = await Promise.all([startMemcached(), startMemcached()]);
  probe = createClient({ servers: first.address, env: false });
});

afterAll(async () => {
  await probe?.close();
  await Promise.all([first?.stop(), second?.stop()]);
});

/** Reads one key straight from a server, with a client of its own. */
async function readFrom(server: MemcachedServer, key: string): Promise<unknown> {
  const client = createClient({ servers: server.address, env: false });
  try {
    return await client.get(key);
  } finally {
    await client.close();
  }
}

@Injectable()
class Greetings {
  constructor(@InjectMemwire() readonly memcached: Client) {}

  async greet(key: string): Promise<unknown> {
    await this.memcached.set(key, 'hello');
    return this.memcached.get(key);
  }
}

describe('MemwireModule.forRoot', () => {
  test('with no options, the client reads MEMCACHE_SERVERS as createClient() does', async () => {
    vi.stubEnv('MEMCACHIER_SERVERS', undefined);
    vi.stubEnv('MEMCACHE_SERVERS', second.address);
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [MemwireModule.forRoot()],
        providers: [Greetings],
      }).compile();
      const key = `${uniquePrefix()}env`;
      expect(await moduleRef.get(Greetings).greet(key)).toBe('hello');
      expect(await readFrom(second, key)).toBe('hello');
      await moduleRef.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  test('injects the client with @InjectMemwire() and with getMemwireToken()', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MemwireModule.forRoot({ servers: first.address, env: false })],
      providers: [Greetings],
    }).compile();
    const byToken = moduleRef.get<Client>(getMemwireToken());
    expect(moduleRef.get(Greetings).memcached).toBe(byToken);
    const key = `${uniquePrefix()}token`;
    expect(await moduleRef.get(Greetings).greet(key)).toBe('hello');
    expect(await probe.get(key)).toBe('hello');
    await moduleRef.close();
  });

  test('named clients are separate clients, each on its own servers', async () => {
    @Injectable()
    class Both {
      constructor(
        @InjectMemwire() readonly main: Client,
        @InjectMemwire('sessions') readonly sessions: Client,
      ) {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        MemwireModule.forRoot({ servers: first.address, env: false }),
        MemwireModule.forRoot({ name: 'sessions', servers: second.address, env: false }),
      ],
      providers: [Both],
    }).compile();
    const both = moduleRef.get(Both);
    expect(both.main).not.toBe(both.sessions);
    expect(moduleRef.get(getMemwireToken('sessions'))).toBe(both.sessions);
    expect(both.sessions.servers).toEqual([second.address]);
    const key = `${uniquePrefix()}named`;
    await both.sessions.set(key, 'session data');
    expect(await readFrom(second, key)).toBe('session data');
    expect(await readFrom(first, key)).toBeUndefined();
    await moduleRef.close();
  });

  test('isGlobal: modules that do not import MemwireModule inject the client', async () => {
    @Module({ providers: [Greetings], exports: [Greetings] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [MemwireModule.forRoot({ servers: first.address, env: false, isGlobal: true }), FeatureModule],
    }).compile();
    expect(await moduleRef.get(Greetings).greet(`${uniquePrefix()}global`)).toBe('hello');
    await moduleRef.close();
  });

  test('without isGlobal, a module that does not import it cannot inject the client', async () => {
    @Module({ providers: [Greetings], exports: [Greetings] })
    class FeatureModule {}
    const compiling = Test.createTestingModule({
      imports: [MemwireModule.forRoot({ servers: first.address, env: false }), FeatureModule],
    }).compile();
    await expect(compiling).rejects.toThrow(/MemwireClient/);
  });

  test('constructor injection by type works: the test transform emits decorator metadata', async () => {
    // No @Inject() here: Nest reads `design:paramtypes`. Without decorator metadata the controller
    // gets `undefined` for `greetings` and every request fails, so this test guards the transform.
    @Controller('greet')
    class GreetController {
      constructor(private readonly greetings: Greetings) {}

      @Get()
      async greet(): Promise<unknown> {
        return { greeting: await this.greetings.greet(`${uniquePrefix()}by-type`) };
      }
    }
    const { request } = await startApp({
      imports: [MemwireModule.forRoot({ servers: first.address, env: false })],
      controllers: [GreetController],
      providers: [Greetings],
    });
    const reply = await request('/greet');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ greeting: 'hello' });
  });
});

@Injectable()
class Settings {
  readonly servers: string;
  constructor() {
    this.servers = first.address;
  }
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

@Injectable()
class MemwireSettings implements MemwireOptionsFactory {
  constructor(@Inject(Settings) private readonly settings: Settings) {}

  createMemwireOptions(): MemwireClientOptions {
    return { servers: this.settings.servers, env: false, keyPrefix: 'from-class:' };
  }
}

@Module({ providers: [Settings, MemwireSettings], exports: [MemwireSettings] })
class MemwireSettingsModule {}

describe('MemwireModule.forRootAsync', () => {
  test('useFactory with inject, from an imported module, may be async', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MemwireModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: async (settings: Settings) => ({
            servers: settings.servers,
            env: false,
            keyPrefix: 'f:',
          }),
        }),
      ],
      providers: [Greetings],
    }).compile();
    const key = `${uniquePrefix()}factory`;
    expect(await moduleRef.get(Greetings).greet(key)).toBe('hello');
    expect(await probe.get(`f:${key}`)).toBe('hello');
    await moduleRef.close();
  });

  test('useClass: the module makes the factory, with its own dependencies', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MemwireModule.forRootAsync({ imports: [SettingsModule], useClass: MemwireSettings })],
      providers: [Greetings],
    }).compile();
    const key = `${uniquePrefix()}class`;
    expect(await moduleRef.get(Greetings).greet(key)).toBe('hello');
    expect(await probe.get(`from-class:${key}`)).toBe('hello');
    await moduleRef.close();
  });

  test('useExisting: the factory comes from an imported module', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MemwireModule.forRootAsync({ imports: [MemwireSettingsModule], useExisting: MemwireSettings }),
      ],
      providers: [Greetings],
    }).compile();
    const key = `${uniquePrefix()}existing`;
    expect(await moduleRef.get(Greetings).greet(key)).toBe('hello');
    expect(await probe.get(`from-class:${key}`)).toBe('hello');
    await moduleRef.close();
  });

  test('a name and isGlobal apply as with forRoot', async () => {
    @Injectable()
    class Named {
      constructor(@InjectMemwire('cache') readonly cache: Client) {}
    }
    @Module({ providers: [Named], exports: [Named] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        MemwireModule.forRootAsync({
          name: 'cache',
          isGlobal: true,
          useFactory: () => ({ servers: second.address, env: false }),
        }),
        FeatureModule,
      ],
    }).compile();
    expect(moduleRef.get(Named).cache.servers).toEqual([second.address]);
    await moduleRef.close();
  });

  test('exactly one of useFactory, useClass and useExisting: a ConfigError otherwise', () => {
    expect(() => MemwireModule.forRootAsync({})).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG }),
    );
    expect(() => MemwireModule.forRootAsync({ useFactory: () => ({}), useClass: MemwireSettings })).toThrow(
      /exactly one/,
    );
  });

  test('a bad option fails at startup with a ConfigError naming it', async () => {
    const compiling = Test.createTestingModule({
      imports: [MemwireModule.forRootAsync({ useFactory: () => ({ servers: 'host:notaport', env: false }) })],
    }).compile();
    await expect(compiling).rejects.toMatchObject({ code: ErrorCodes.CONFIG });
  });
});

describe('shutdown', () => {
  test('closing the application closes every client: later commands reject with ERR_MEMWIRE_CLOSED', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MemwireModule.forRoot({ servers: first.address, env: false }),
        MemwireModule.forRoot({ name: 'other', servers: second.address, env: false }),
      ],
    }).compile();
    const main = moduleRef.get<Client>(getMemwireToken());
    const other = moduleRef.get<Client>(getMemwireToken('other'));
    await Promise.all([main.set(`${uniquePrefix()}a`, 1), other.set(`${uniquePrefix()}b`, 2)]);
    await moduleRef.close();
    await expect(main.get('a')).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
    await expect(other.get('b')).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
  });
});
