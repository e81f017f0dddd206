import { expect, test, vi } from 'vitest';
import { createMemwireCache } from '../src/index.js';

// An app still on cache-manager 5: `cache-manager` resolves to 5.7, whose `createCache` takes a store,
// not `{ stores }`. createMemwireCache must say so instead of building something broken.
vi.mock('cache-manager', async () => import('cache-manager5'));

test('createMemwireCache on cache-manager 5 throws a ConfigError that points to memwireStore', () => {
  expect(() => createMemwireCache({ env: {} })).toThrow(
    expect.objectContaining({ code: 'ERR_MEMWIRE_CONFIG', message: expect.stringContaining('memwireStore') }),
  );
});
