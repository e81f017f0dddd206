import { type CallOptions, GenerationCounter, parseGeneration } from '@memwire/core';
import type { CacheClient } from '../client.js';

/**
 * Generation counters (core's `GenerationCounter`), since memcached cannot list the keys of a
 * resource or a tag: every stored response records the generations it was made under, and bumping
 * one (`incr`) makes all of them stale at once. A missing counter matches nothing, so an evicted
 * counter costs misses, never a stale hit. Here they are handled as decimal text, the form entries
 * record them in (validate-entry.ts).
 */

/** The generation in a value read from memcached; anything that is not a counter is no generation. */
export function generationOf(value: unknown): string | undefined {
  try {
    const generation = parseGeneration(value);
    return generation === undefined ? undefined : String(generation);
  } catch {
    // Written by something else: it matches no entry, as a missing counter matches none.
    return undefined;
  }
}

/**
 * Creates a counter that does not exist yet. Resolves with its value, or undefined when someone else
 * created it first (an invalidation racing the caller: what the caller was about to store may be
 * older than that invalidation, so it should not be stored).
 */
export async function createGeneration(
  client: CacheClient,
  key: string,
  options?: CallOptions,
): Promise<string | undefined> {
  const created = await new GenerationCounter(client).create(key, options);
  return created === undefined ? undefined : String(created);
}

/** The current values of several counters, creating the missing ones. */
export async function readGenerations(
  client: CacheClient,
  keys: readonly string[],
  options?: CallOptions,
): Promise<Map<string, string>> {
  const values = await client.getMany(keys, options);
  const counters = new GenerationCounter(client);
  const result = new Map<string, string>();
  await Promise.all(
    keys.map(async (key) => {
      let generation = generationOf(values.get(key));
      if (generation === undefined) {
        const created = await counters.create(key, options);
        // Lost the race to create it: whoever won wrote the value in force.
        generation = created === undefined ? generationOf(await client.get(key, options)) : String(created);
      }
      if (generation !== undefined) result.set(key, generation);
    }),
  );
  return result;
}

/** Moves a counter on, invalidating everything recorded under its current value. */
export async function bumpGeneration(client: CacheClient, key: string, options?: CallOptions): Promise<void> {
  await new GenerationCounter(client).bump(key, options);
}
