import { defineConfig } from 'tsdown';

export default defineConfig([
  {
    // The library: runDoctor() and main(), for programs that embed the checks.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    clean: true,
  },
  {
    // The `memwire` binary: ESM only, shebang kept and made executable by tsdown.
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    clean: true,
  },
]);
