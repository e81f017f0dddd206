import { randomInt } from 'node:crypto';
import type { CallOptions } from '@memwire/core';
import type { CacheClient } from '../client.js';

/**
 * Generation counters, since memcached cannot list the keys of a resource or a tag: every stored
 * response records the generations it was made under, and bumping one (`incr`) makes all of them
 * stale at once. A counter starts at a random value, never at a fixed one: if it is evicted and later
 * recreated, responses recorded under the old value must not match again. A counter that is missing
 * matches nothing, so an evicted counter costs misses, never a stale hit.
 */

/** The generation in a value read from memcached (`incr` leaves decimal text). */
export function generationOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1').trim();
  return String(value).trim();
}

function freshGeneration(): string {
  return String(randomInt(1, 2 ** 47));
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
  const value = freshGeneration();
  return (await client.add(key, value, { ...options, ttl: 0 })) ? value : undefined;
}

/** The current values of several counters, creating the missing ones. */
export async function readGenerations(
  client: CacheClient,
  keys: readonly string[],
  options?: CallOptions,
): Promise<Map<string, string>> {
  const values = await client.getMany(keys, options);
  const result = new Map<string, string>();
  await Promise.all(
    keys.map(async (key) => {
      let generation = generationOf(values.get(key));
      if (generation === undefined) {
        generation = await createGeneration(client, key, options);
        // Lost the race to create it: whoever won wrote the value in force.
        if (generation === undefined) generation = generationOf(await client.get(key, options));
      }
      if (generation !== undefined) result.set(key, generation);
    }),
  );
  return result;
}

/** Moves a counter on, invalidating everything recorded under its current value. */
export async function bumpGeneration(client: CacheClient, key: string, options?: CallOptions): Promise<void> {
  if ((await client.incr(key, 1, options)) !== undefined) return;
  // Missing (never made, or evicted): responses recorded under an older value already mismatch, but
  // a response being stored now may carry a value read before; a new random value beats it too.
  if (await createGeneration(client, key, options)) return;
  await client.incr(key, 1, options);
}
