import { describe, expect, test } from 'vitest';
import { md5Hash, oneAtATimeHash } from '../../src/cluster/hash.js';
import { KetamaRing } from '../../src/cluster/ketama.js';
import { createSelector, defaultKeyHash } from '../../src/cluster/selector.js';
import type { Distribution } from '../../src/config/options.js';
import type { ServerAddress } from '../../src/config/server-address.js';

const servers = (count: number, weight = 1): ServerAddress[] =>
  Array.from({ length: count }, (_, i) => ({ host: `10.0.0.${i + 1}`, port: 11211, weight }));
const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
const distributions: Distribution[] = ['ketama', 'ketama-unweighted', 'modula'];

const sameChoices = (a: { serverFor(key: string): number }, b: { serverFor(key: string): number }) =>
  keys.every((key) => a.serverFor(key) === b.serverFor(key));

describe('createSelector', () => {
  test('always picks the only server, whatever the distribution', () => {
    for (const distribution of distributions) {
      const selector = createSelector(servers(1), distribution);
      for (const key of keys) expect(selector.serverFor(key)).toBe(0);
    }
  });

  test('picks by one-at-a-time hash modulo the server count for modula', () => {
    const selector = createSelector(servers(3), 'modula');
    for (const key of keys) expect(selector.serverFor(key)).toBe(oneAtATimeHash(key) % 3);
  });

  test('picks by the md5 hash modulo the server count for modula with hash md5', () => {
    const selector = createSelector(servers(3), 'modula', 'md5');
    for (const key of keys) expect(selector.serverFor(key)).toBe(md5Hash(key) % 3);
  });

  test('ignores weights for modula', () => {
    const weighted = [...servers(2), { host: '10.0.0.9', port: 11211, weight: 5 }];
    const selector = createSelector(weighted, 'modula');
    for (const key of keys) expect(selector.serverFor(key)).toBe(oneAtATimeHash(key) % 3);
  });

  test('picks as a weighted KetamaRing of the same servers for ketama', () => {
    const selector = createSelector(servers(3), 'ketama');
    expect(sameChoices(selector, new KetamaRing(servers(3)))).toBe(true);
  });

  test('hashes keys with one-at-a-time on the weighted ring for ketama with hash one-at-a-time', () => {
    const selector = createSelector(servers(3), 'ketama', 'one-at-a-time');
    const ring = new KetamaRing(servers(3), { weighted: true, keyHash: oneAtATimeHash });
    expect(sameChoices(selector, ring)).toBe(true);
    expect(sameChoices(selector, new KetamaRing(servers(3)))).toBe(false);
  });

  test('picks as an unweighted ring hashed with one-at-a-time for ketama-unweighted', () => {
    const selector = createSelector(servers(3), 'ketama-unweighted');
    const ring = new KetamaRing(servers(3), { weighted: false, keyHash: oneAtATimeHash });
    expect(sameChoices(selector, ring)).toBe(true);
  });

  test('picks as an unweighted ring hashed with md5 for ketama-unweighted with hash md5', () => {
    const selector = createSelector(servers(3), 'ketama-unweighted', 'md5');
    const ring = new KetamaRing(servers(3), { weighted: false, keyHash: md5Hash });
    expect(sameChoices(selector, ring)).toBe(true);
  });

  test('switches ketama-unweighted to weighted points when a server has weight > 1, keeping the key hash', () => {
    // libmemcached hosts.cc server_add: weight > 1 under a consistent distribution sets weighted ketama.
    const list = [...servers(2), { host: '10.0.0.9', port: 11211, weight: 2 }];
    const selector = createSelector(list, 'ketama-unweighted');
    const ring = new KetamaRing(list, { weighted: true, keyHash: oneAtATimeHash });
    expect(sameChoices(selector, ring)).toBe(true);
  });

  test('keeps ketama-unweighted unweighted when every weight is 1', () => {
    const selector = createSelector(servers(3, 1), 'ketama-unweighted');
    const weighted = new KetamaRing(servers(3), { weighted: true, keyHash: oneAtATimeHash });
    expect(sameChoices(selector, weighted)).toBe(false);
  });

  test('uses every server for every distribution', () => {
    for (const distribution of distributions) {
      const selector = createSelector(servers(3), distribution);
      expect(new Set(keys.map((key) => selector.serverFor(key))), distribution).toEqual(new Set([0, 1, 2]));
    }
  });
});

describe('defaultKeyHash', () => {
  test('is md5 for ketama, as libmemcached weighted mode sets it, and one-at-a-time otherwise', () => {
    expect(defaultKeyHash('ketama')).toBe('md5');
    expect(defaultKeyHash('ketama-unweighted')).toBe('one-at-a-time');
    expect(defaultKeyHash('modula')).toBe('one-at-a-time');
  });
});
