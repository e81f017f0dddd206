// Type tests, checked by `npm run typecheck` (this package's tsconfig includes test/), never run:
// cache-manager's own generics reach through memwire's cache and store without casts.
import { describe, expectTypeOf, test } from 'vitest';
import { createMemwireCache, memwireStore } from '../src/index.js';

interface Product {
  id: number;
  name: string;
}
declare function loadProduct(id: number): Promise<Product>;

describe('typed reads', () => {
  const cache = createMemwireCache({ namespace: 'shop' });

  test('get<T> resolves to T or undefined (cache-manager 7)', () => {
    expectTypeOf(cache.get<Product>('product:1')).resolves.toEqualTypeOf<Product | undefined>();
  });

  test("wrap infers the function's result", () => {
    expectTypeOf(cache.wrap('product:1', () => loadProduct(1))).resolves.toEqualTypeOf<Product>();
  });

  test("the cache-manager 5 store's get<T> too", () => {
    expectTypeOf(memwireStore().get<Product>('product:1')).resolves.toEqualTypeOf<Product | undefined>();
  });
});
