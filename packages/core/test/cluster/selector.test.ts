import { describe, expect, test } from 'vitest';
import { oneAtATimeHash } from '../../src/cluster/hash.js';
import { KetamaRing } from '../../src/cluster/ketama.js';
import { createSelector } from '../../src/cluster/selector.js';
import type { ServerAddress } from '../../src/config/server-address.js';

const servers = (count: number): ServerAddress[] =>
  Array.from({ length: count }, (_, i) => ({ host: `10.0.0.${i + 1}`, port: 11211, weight: 1 }));
const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);

describe('createSelector', () => {
  test('always picks the only server, whatever the distribution', () => {
    for (const distribution of ['ketama', 'modula'] as const) {
      const selector = createSelector(servers(1), distribution);
      for (const key of keys) expect(selector.serverFor(key)).toBe(0);
    }
  });

  test('picks by one-at-a-time hash modulo the server count for modula', () => {
    const selector = createSelector(servers(3), 'modula');
    for (const key of keys) expect(selector.serverFor(key)).toBe(oneAtATimeHash(key) % 3);
  });

  test('picks as a KetamaRing of the same servers for ketama', () => {
    const selector = createSelector(servers(3), 'ketama');
    const ring = new KetamaRing(servers(3));
    for (const key of keys) expect(selector.serverFor(key)).toBe(ring.serverFor(key));
  });

  test('uses every server for both distributions', () => {
    for (const distribution of ['ketama', 'modula'] as const) {
      const selector = createSelector(servers(3), distribution);
      expect(new Set(keys.map((key) => selector.serverFor(key)))).toEqual(new Set([0, 1, 2]));
    }
  });
});
