// Type tests, checked by `npm run typecheck` (the core's tsconfig includes test/), never run: the
// values a read returns are typed by the caller's type argument, or the codec's output by default.
// Each @ts-expect-error line fails the typecheck if the error it expects goes away.
import { describe, expectTypeOf, test } from 'vitest';
import type { CasToken, Client, Outcome, Value, ValueWithCas } from '../../src/index.js';

interface User {
  id: number;
  name: string;
}

declare const client: Client;
declare const bytes: Client<string | Uint8Array, Buffer>;

describe('reads take the type of the value as a type argument', () => {
  test('get<T> resolves to T or undefined', () => {
    expectTypeOf(client.get<User>('user:1')).resolves.toEqualTypeOf<User | undefined>();
    // An interface without an index signature: no cast through unknown needed.
    expectTypeOf(client.get<User>('user:1')).resolves.not.toEqualTypeOf<Value | undefined>();
  });

  test('without a type argument they resolve to what the codec decodes', () => {
    expectTypeOf(client.get('k')).resolves.toEqualTypeOf<Value | undefined>();
    expectTypeOf(bytes.get('k')).resolves.toEqualTypeOf<Buffer | undefined>();
    expectTypeOf(bytes.getMany(['k'])).resolves.toEqualTypeOf<Map<string, Buffer>>();
  });

  test('gets, getAndTouch, getsAndTouch, getMany and getManySettled take it too', () => {
    expectTypeOf(client.gets<User>('k')).resolves.toEqualTypeOf<ValueWithCas<User> | undefined>();
    expectTypeOf(client.getAndTouch<User>('k', 60)).resolves.toEqualTypeOf<User | undefined>();
    expectTypeOf(client.getsAndTouch<User>('k', 60)).resolves.toEqualTypeOf<ValueWithCas<User> | undefined>();
    expectTypeOf(client.getMany<User>(['a', 'b'])).resolves.toEqualTypeOf<Map<string, User>>();
    expectTypeOf(client.getManySettled<User>(['a'])).resolves.toEqualTypeOf<
      Map<string, Outcome<User | undefined>>
    >();
  });

  test('a wrong type is a compile error', async () => {
    const user = await client.get<User>('user:1');
    // @ts-expect-error the value may be a miss
    const name: string = user.name;
    // @ts-expect-error a User is not a string
    const text: string | undefined = await client.get<User>('user:1');
    const found = await client.gets<User>('user:1');
    // @ts-expect-error the CAS token is a CasToken, not the value's type
    const wrongCas: User = found!.cas;
    expectTypeOf(found!.cas).toEqualTypeOf<CasToken>();
    void [name, text, wrongCas];
  });
});
