import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createSelector } from '../../src/cluster/selector.js';
import type { ClientOptions, Distribution, KeyHash } from '../../src/config/options.js';
import { resolveConfig } from '../../src/config/resolve.js';

/**
 * Where libmemcached 1.1.4, driven by pylibmc 1.6.3, puts sample keys, recorded by
 * test/fixtures/generate-ketama-vectors.py (real servers where they can run, libmemcached's own
 * memcached_generate_hash() for DNS names; see the script). No server is needed here.
 */
interface VectorCase {
  name: string;
  distribution: Distribution;
  hash: KeyHash;
  pylibmcBehaviors: { ketama_weighted?: boolean; ketama?: boolean; hash?: string };
  servers: string[];
  source: 'pylibmc' | 'libmemcached';
  placements: number[];
}

interface Vectors {
  libmemcached: string;
  pylibmc: string;
  keys: string[];
  cases: VectorCase[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/ketama-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

/** The memwire options a pylibmc user writes for the same behaviors, as ClientOptions documents. */
function optionsFor(behaviors: VectorCase['pylibmcBehaviors']): Pick<ClientOptions, 'distribution' | 'hash'> {
  const distribution = behaviors.ketama_weighted
    ? 'ketama'
    : behaviors.ketama
      ? 'ketama-unweighted'
      : 'modula';
  // pylibmc applies `hash` before `ketama_weighted`, which then sets md5 whatever `hash` said.
  const hash = behaviors.hash === 'md5' && distribution !== 'ketama' ? 'md5' : undefined;
  return hash === undefined ? { distribution } : { distribution, hash };
}

describe('the ring against libmemcached vectors (test/fixtures/ketama-vectors.json)', () => {
  test('come from libmemcached 1.1.4 and pylibmc 1.6.3, and cover what they should', () => {
    expect(vectors.libmemcached).toMatch(/^1\.1\.4/);
    expect(vectors.pylibmc).toBe('1.6.3');
    expect(vectors.keys.length).toBeGreaterThanOrEqual(400);
    expect(vectors.keys.some((key) => /[^\x00-\x7f]/.test(key))).toBe(true);
    expect(vectors.keys.some((key) => Buffer.byteLength(key) >= 249)).toBe(true);
    const all = vectors.cases;
    const distributions = new Set(all.map((c) => `${c.distribution}/${c.hash}`));
    for (const each of ['ketama/md5', 'ketama-unweighted/one-at-a-time', 'ketama-unweighted/md5']) {
      expect(distributions).toContain(each);
    }
    expect(distributions).toContain('modula/one-at-a-time');
    // Port 11211 spelled out, and implied by a bare host: libmemcached hashes `host-j` for both.
    expect(all.some((c) => c.servers.some((s) => s.endsWith(':11211')))).toBe(true);
    expect(all.some((c) => c.servers.some((s) => !s.includes(':')))).toBe(true);
    expect(all.some((c) => c.servers.length === 25)).toBe(true);
    expect(all.some((c) => c.servers.some((s) => s.startsWith('localhost:')))).toBe(true);
  });

  test('map each pylibmc behavior set to the documented memwire options', () => {
    for (const c of vectors.cases) {
      const resolved = resolveConfig({ servers: c.servers, ...optionsFor(c.pylibmcBehaviors), env: false });
      expect([resolved.distribution, resolved.hash], c.name).toEqual([c.distribution, c.hash]);
    }
  });

  test.each(vectors.cases)('places every key as libmemcached does: $name ($source)', (c) => {
    const config = resolveConfig({ servers: c.servers, ...optionsFor(c.pylibmcBehaviors), env: false });
    const selector = createSelector(config.servers, config.distribution, config.hash);
    const placements = vectors.keys.map((key) => selector.serverFor(key));
    const differing = vectors.keys.filter((_, i) => placements[i] !== c.placements[i]);
    expect(differing.slice(0, 5)).toEqual([]);
    expect(placements).toEqual(c.placements);
  });
});
