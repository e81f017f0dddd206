import { type Client, type Codec, createClient } from '../../packages/core/src/index.js';

/** Reports each value's flags as stored, whatever wrote it: what the other language really put on the wire. */
const flagsCodec: Codec<never, number> = {
  name: 'flags',
  encode() {
    throw new Error('the flags codec only reads');
  },
  decode: (_data, flags) => flags,
};

/** A client on `address` that reads flags instead of values, keyed like `keyFunction`. */
export function flagsReader(address: string, keyFunction?: (key: string) => string): Client<never, number> {
  return createClient({
    servers: address,
    env: {},
    codec: flagsCodec,
    ...(keyFunction ? { keyFunction } : {}),
  });
}

/** The flags stored under each of `keys` (a miss is absent). */
export async function storedFlags(
  reader: Client<never, number>,
  keys: string[],
): Promise<Record<string, number>> {
  return Object.fromEntries(await reader.getMany(keys));
}
