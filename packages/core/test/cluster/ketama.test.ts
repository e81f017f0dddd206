import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { md5Hash, oneAtATimeHash } from '../../src/cluster/hash.js';
import { KetamaRing } from '../../src/cluster/ketama.js';
import type { ServerAddress } from '../../src/config/server-address.js';

const server = (host: string, port = 11211, weight = 1): ServerAddress => ({ host, port, weight });
const servers = (count: number): ServerAddress[] =>
  Array.from({ length: count }, (_, i) => server(`10.0.0.${i + 1}`));
const keys = Array.from({ length: 10_000 }, (_, i) => `key:${i}`);

function shares(ring: KetamaRing, count: number): number[] {
  const tally = new Array<number>(count).fill(0);
  for (const key of keys) tally[ring.serverFor(key)]! += 1;
  return tally.map((n) => n / keys.length);
}

/** libmemcached's points per server, every step in 32-bit floats (protocol-notes.md, step 2). */
function pointsWithFloat32(weight: number, totalWeight: number, live: number): number {
  const f = Math.fround;
  const pct = f(f(weight) / f(totalWeight));
  return Math.floor(f(f(f(f(pct * 160) / 4) * f(live)) + f(1e-10))) * 4;
}

/** The same formula in doubles: what a naive port computes. */
function pointsWithDoubles(weight: number, totalWeight: number, live: number): number {
  return Math.floor((((weight / totalWeight) * 160) / 4) * live + 1e-10) * 4;
}

describe('KetamaRing', () => {
  test('always picks a single server', () => {
    const ring = new KetamaRing([server('only')]);
    for (const key of keys.slice(0, 1000)) expect(ring.serverFor(key)).toBe(0);
    expect(ring.serverForHash(0)).toBe(0);
    expect(ring.serverForHash(0xffffffff)).toBe(0);
  });

  test('picks the same server for a key every time, and in every ring built from the same list', () => {
    const a = new KetamaRing(servers(5));
    const b = new KetamaRing(servers(5));
    for (const key of keys.slice(0, 2000)) {
      expect(a.serverFor(key)).toBe(a.serverFor(key));
      expect(b.serverFor(key)).toBe(a.serverFor(key));
    }
  });

  test('spreads keys roughly evenly over three equal servers', () => {
    for (const share of shares(new KetamaRing(servers(3)), 3)) {
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.46);
    }
  });

  test('gives a weight-3 server more keys than each weight-1 server', () => {
    const ring = new KetamaRing([server('a', 11211, 1), server('b', 11211, 3), server('c', 11211, 1)]);
    const [a, b, c] = shares(ring, 3) as [number, number, number];
    expect(b).toBeGreaterThan(a);
    expect(b).toBeGreaterThan(c);
    // Its fair share is 3/5.
    expect(b).toBeGreaterThan(0.45);
    expect(b).toBeLessThan(0.75);
  });

  test('treats weight 0 as weight 1', () => {
    const zero = new KetamaRing([server('a', 11211, 0), server('b', 11211, 1)]);
    const one = new KetamaRing([server('a', 11211, 1), server('b', 11211, 1)]);
    expect(zero['points']).toEqual(one['points']);
  });

  test('moves only the keys of a removed server (consistent hashing)', () => {
    const all = servers(5);
    const before = new KetamaRing(all);
    const removed = all[2]!;
    const rest = all.filter((s) => s !== removed);
    const after = new KetamaRing(rest);
    let moved = 0;
    for (const key of keys) {
      const was = all[before.serverFor(key)]!;
      const now = rest[after.serverFor(key)]!;
      if (was === removed) moved++;
      else expect(now, key).toBe(was);
    }
    // Its share of 1/5, give or take.
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.3);
  });

  test('hashes "host-j" for port 11211 and "host:port-j" for any other port, the host as configured', () => {
    const md5Points = (text: string): number[] => {
      const digest = createHash('md5').update(text).digest();
      return [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
    };
    const ring = new KetamaRing([server('localhost', 11211), server('127.0.0.1', 11212)]);
    const points = [...ring['points']];
    for (const j of [0, 39]) {
      for (const point of md5Points(`localhost-${j}`)) expect(points).toContain(point);
      for (const point of md5Points(`127.0.0.1:11212-${j}`)) expect(points).toContain(point);
    }
    for (const point of md5Points('localhost:11211-0')) expect(points).not.toContain(point);
    for (const point of md5Points('localhost-40')) expect(points).not.toContain(point);
  });

  test('keeps its points sorted ascending', () => {
    const points = new KetamaRing(servers(7))['points'];
    for (let i = 1; i < points.length; i++) expect(points[i]!).toBeGreaterThanOrEqual(points[i - 1]!);
  });

  test('picks the owner of the first point at or above the hash', () => {
    const ring = new KetamaRing(servers(4));
    const points = ring['points'];
    const owners = ring['owners'];
    for (const i of [0, 1, 100, 333, points.length - 1]) {
      expect(ring.serverForHash(points[i]!)).toBe(owners[i]);
      if (i > 0 && points[i - 1]! + 1 < points[i]!)
        expect(ring.serverForHash(points[i - 1]! + 1)).toBe(owners[i]);
    }
  });

  test('wraps a hash above the last point to the first point', () => {
    const ring = new KetamaRing(servers(4));
    const points = ring['points'];
    const last = points[points.length - 1]!;
    expect(last).toBeLessThan(0xffffffff);
    expect(ring.serverForHash(0xffffffff)).toBe(ring['owners'][0]);
    expect(ring.serverForHash(last + 1)).toBe(ring['owners'][0]);
  });

  test('looks a key up by the first four bytes of its MD5, little-endian', () => {
    const ring = new KetamaRing(servers(6));
    for (const key of keys.slice(0, 500)) expect(ring.serverFor(key)).toBe(ring.serverForHash(md5Hash(key)));
  });

  describe('points per server', () => {
    test('gives 160 points to each server of an equal-weight cluster of 1 to 10 servers', () => {
      for (let count = 1; count <= 10; count++) {
        expect(new KetamaRing(servers(count))['points'].length, `${count} servers`).toBe(160 * count);
      }
    });

    test('counts points in 32-bit floats, as libmemcached does, for 25 equal servers', () => {
      const float32 = pointsWithFloat32(1, 25, 25);
      const doubles = pointsWithDoubles(1, 25, 25);
      // The case protocol-notes.md warns about: the two differ here.
      expect(float32).toBe(156);
      expect(doubles).toBe(160);
      expect(new KetamaRing(servers(25))['points'].length).toBe(25 * float32);
    });

    test.each([47, 50, 55, 61, 71, 94, 100])(
      'counts points in 32-bit floats for %i equal servers',
      (count) => {
        expect(pointsWithFloat32(1, count, count)).not.toBe(pointsWithDoubles(1, count, count));
        expect(new KetamaRing(servers(count))['points'].length).toBe(
          count * pointsWithFloat32(1, count, count),
        );
      },
    );

    test('splits points by weight', () => {
      const ring = new KetamaRing([server('a', 11211, 1), server('b', 11211, 3)]);
      const expected = pointsWithFloat32(1, 4, 2) + pointsWithFloat32(3, 4, 2);
      expect(expected).toBe(80 + 240);
      expect(ring['points'].length).toBe(expected);
    });
  });
});

describe('KetamaRing, unweighted (libmemcached MEMCACHED_BEHAVIOR_KETAMA)', () => {
  const unweighted = (list: ServerAddress[], keyHash = oneAtATimeHash) =>
    new KetamaRing(list, { weighted: false, keyHash });

  test('gives each server 100 points whatever its weight', () => {
    for (const count of [1, 3, 25, 47]) {
      expect(unweighted(servers(count))['points'].length, `${count} servers`).toBe(100 * count);
    }
    const weighted = [server('a', 11211, 1), server('b', 11211, 5)];
    expect(unweighted(weighted)['points'].length).toBe(200);
  });

  test('makes one point per name, the key hash of "host:port-j" (or "host-j" on 11211), j from 0 to 99', () => {
    for (const keyHash of [oneAtATimeHash, md5Hash]) {
      const ring = unweighted([server('localhost', 11211), server('127.0.0.1', 11212)], keyHash);
      const expected = [
        ...Array.from({ length: 100 }, (_, j) => keyHash(`localhost-${j}`)),
        ...Array.from({ length: 100 }, (_, j) => keyHash(`127.0.0.1:11212-${j}`)),
      ].sort((a, b) => a - b);
      expect([...ring['points']]).toEqual(expected);
    }
  });

  test('looks a key up by the key hash it was built with', () => {
    for (const keyHash of [oneAtATimeHash, md5Hash]) {
      const ring = unweighted(servers(5), keyHash);
      for (const key of keys.slice(0, 500))
        expect(ring.serverFor(key)).toBe(ring.serverForHash(keyHash(key)));
    }
  });

  test('spreads keys over every server, and differently for each hash', () => {
    const oaat = unweighted(servers(4));
    const md5 = unweighted(servers(4), md5Hash);
    for (const share of shares(oaat, 4)) expect(share).toBeGreaterThan(0.1);
    for (const share of shares(md5, 4)) expect(share).toBeGreaterThan(0.1);
    const differ = keys.filter((key) => oaat.serverFor(key) !== md5.serverFor(key)).length;
    expect(differ / keys.length).toBeGreaterThan(0.5);
  });

  test('places keys differently for the same servers spelled localhost and 127.0.0.1', () => {
    const byName = unweighted([server('localhost', 20001), server('localhost', 20002)]);
    const byAddress = unweighted([server('127.0.0.1', 20001), server('127.0.0.1', 20002)]);
    const differ = keys.filter((key) => byName.serverFor(key) !== byAddress.serverFor(key)).length;
    expect(differ / keys.length).toBeGreaterThan(0.2);
  });
});
