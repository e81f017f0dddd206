import 'reflect-metadata';
import type { Client } from '@memwire/core';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, test, vi } from 'vitest';
import { getMemwireToken, MemwireModule } from '../src/index.js';

/** A client module on a port that refuses at once, so the first command marks the server down. */
async function clientOf(options: Parameters<typeof MemwireModule.forRoot>[0]): Promise<Client> {
  const moduleRef = await Test.createTestingModule({ imports: [MemwireModule.forRoot(options)] }).compile();
  return moduleRef.get<Client>(getMemwireToken(options?.name));
}

describe("the client's logger in Nest", () => {
  test("is Nest's Logger by default: an outage shows in the app's log under the Memwire context", async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    try {
      const client = await clientOf({ servers: '127.0.0.1:1', env: false, failureThreshold: 1 });
      expect(client.logger).toBeInstanceOf(Logger);
      await expect(client.get('k')).rejects.toThrow();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/^memwire: 127\.0\.0\.1:1 is down/);
      expect((warn.mock.contexts[0] as { context?: string }).context).toBe('Memwire');
      await client.close();
    } finally {
      warn.mockRestore();
    }
  });

  test('a named client logs under its name; `logger: false` or a logger of your own replaces it', async () => {
    const named = await clientOf({ name: 'sessions', servers: '127.0.0.1:1', env: false });
    expect((named.logger as unknown as { context?: string }).context).toBe('Memwire:sessions');
    const silent = await clientOf({ name: 'silent', servers: '127.0.0.1:1', env: false, logger: false });
    expect(silent.logger).toBeUndefined();
    const mine = { warn: () => {} };
    const own = await clientOf({ name: 'own', servers: '127.0.0.1:1', env: false, logger: mine });
    expect(own.logger).toBe(mine);
    await Promise.all([named.close(), silent.close(), own.close()]);
  });
});
