import { defineConfig } from 'tsdown';
import { packageBuild } from '../../tsdown.base.ts';

export default defineConfig([
  // The library: runDoctor() and main(), for programs that embed the checks.
  packageBuild(),
  // The `memwire` binary: ESM only, shebang kept and made executable by tsdown.
  packageBuild({ entry: ['src/cli.ts'], format: ['esm'], dts: false }),
]);
