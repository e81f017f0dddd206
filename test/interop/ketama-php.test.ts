import { describe, expect, test } from 'vitest';
import { createSelector } from '../../packages/core/src/cluster/selector.js';
import { type ClientOptions, parseServerList, resolveConfig } from '../../packages/core/src/index.js';
import { runPhp } from './php.js';
import { sampleKeys } from './sample-keys.js';

/**
 * memwire's ring against php-memcached 3.2 (libmemcached 1.1.4), key by key. PHP's
 * Memcached::getServerByKey() hashes without connecting, so server lists of names that exist
 * nowhere (and port 11211, where libmemcached hashes `host-j`) need no server.
 */

const KEYS = sampleKeys(2000);
const TEST_MS = 20_000;

type PhpOption = [name: string, value: boolean | string];

interface Mode {
  name: string;
  options: Pick<ClientOptions, 'distribution' | 'hash'>;
  /** php-memcached options set before addServers(), and after it. */
  before: PhpOption[];
  after?: PhpOption[];
}

const MODES: Mode[] = [
  {
    name: "'ketama' = OPT_LIBKETAMA_COMPATIBLE",
    options: { distribution: 'ketama' },
    before: [['OPT_LIBKETAMA_COMPATIBLE', true]],
  },
  {
    name: "'ketama' = OPT_LIBKETAMA_COMPATIBLE set after addServers()",
    options: { distribution: 'ketama' },
    before: [],
    after: [['OPT_LIBKETAMA_COMPATIBLE', true]],
  },
  {
    name: "'ketama' with hash 'one-at-a-time' = OPT_LIBKETAMA_COMPATIBLE, then OPT_HASH HASH_DEFAULT",
    options: { distribution: 'ketama', hash: 'one-at-a-time' },
    before: [
      ['OPT_LIBKETAMA_COMPATIBLE', true],
      ['OPT_HASH', 'HASH_DEFAULT'],
    ],
  },
  {
    name: "'ketama-unweighted' = OPT_DISTRIBUTION DISTRIBUTION_CONSISTENT",
    options: { distribution: 'ketama-unweighted' },
    before: [['OPT_DISTRIBUTION', 'DISTRIBUTION_CONSISTENT']],
  },
  {
    name: "'ketama-unweighted' with hash 'md5' = DISTRIBUTION_CONSISTENT and HASH_MD5",
    options: { distribution: 'ketama-unweighted', hash: 'md5' },
    before: [
      ['OPT_DISTRIBUTION', 'DISTRIBUTION_CONSISTENT'],
      ['OPT_HASH', 'HASH_MD5'],
    ],
  },
  { name: "'modula' = php-memcached's defaults", options: { distribution: 'modula' }, before: [] },
  {
    name: "'modula' with hash 'md5' = OPT_HASH HASH_MD5",
    options: { distribution: 'modula', hash: 'md5' },
    before: [['OPT_HASH', 'HASH_MD5']],
  },
];

const LISTS: Record<string, string[]> = {
  'names on port 11211, bare and spelled out': [
    'cache-a.internal',
    'cache-b.internal:11211',
    'cache-c.internal',
  ],
  'mixed weights and ports': [
    'mc1.example.com:11211:2',
    'mc2.example.com:11212',
    '10.0.0.3:22122:5',
    '10.0.0.4',
  ],
  'hosts spelled localhost': ['localhost:11211', 'localhost:11212', 'localhost:11213'],
  'the same hosts spelled 127.0.0.1': ['127.0.0.1:11211', '127.0.0.1:11212', '127.0.0.1:11213'],
  '25 equal servers': Array.from({ length: 25 }, (_, i) => `10.1.0.${i + 1}:11211`),
  '47 equal servers': Array.from({ length: 47 }, (_, i) => `cache-${i}.internal:11211`),
};

describe.each(Object.entries(LISTS))('a ring shared with php-memcached: %s', (_, list) => {
  test.each(MODES)(
    'memwire picks the server php-memcached picks: $name',
    { timeout: TEST_MS },
    async (mode) => {
      const servers = parseServerList(list.join(','), 'test').map((s) => [s.host, s.port, s.weight]);
      const request = { servers, before: mode.before, after: mode.after ?? [], keys: KEYS };
      const php = await runPhp<number[]>('server_by_key.php', request);
      const config = resolveConfig({ servers: list, ...mode.options, env: false });
      const selector = createSelector(config.servers, config.distribution, config.hash);
      const differing = KEYS.filter((key, i) => selector.serverFor(key) !== php[i]);
      expect(differing.slice(0, 5)).toEqual([]);
      expect(differing.length).toBe(0);
      expect(new Set(php).size).toBe(list.length);
    },
  );
});
