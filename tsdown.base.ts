import type { UserConfig } from 'tsdown';

/**
 * The build every published package shares: ESM and CommonJS for Node 20 (the `engines` floor), with
 * declarations and source maps. A package's tsdown.config.ts passes only what differs.
 */
export function packageBuild(overrides: UserConfig = {}): UserConfig {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    clean: true,
    ...overrides,
  };
}
