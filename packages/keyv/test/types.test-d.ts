// Type tests, checked by `npm run typecheck` (this package's tsconfig includes test/), never run: the
// value types a user gives the adapter and Keyv reach their reads, without casts.
import type Keyv from 'keyv';
import { describe, expectTypeOf, test } from 'vitest';
import { createKeyv, KeyvMemwire } from '../src/index.js';

interface Session {
  user: number;
  roles: string[];
}

describe('typed reads', () => {
  test('createKeyv<T>() is a Keyv<T>: get resolves to T or undefined', () => {
    const sessions = createKeyv<Session>({ namespace: 'sessions' });
    expectTypeOf(sessions).toEqualTypeOf<Keyv<Session>>();
    expectTypeOf(sessions.get('abc')).resolves.toEqualTypeOf<Session | undefined>();
  });

  test("the adapter's get<T> and getMany<T> take the stored type", () => {
    const store = new KeyvMemwire();
    expectTypeOf(store.get<Session>('keyv:abc')).resolves.toEqualTypeOf<Session | undefined>();
    expectTypeOf(store.getMany<Session>(['keyv:a', 'keyv:b'])).resolves.toEqualTypeOf<
      Array<Session | undefined>
    >();
  });
});
