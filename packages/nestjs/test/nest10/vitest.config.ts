import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Nest 10 suite, run by ../nest10.test.ts in a vitest of its own: every import of Nest, rxjs and
// reflect-metadata made by the tests and by @memwire/nestjs's source resolves to this folder's
// node_modules (Nest 10, @nestjs/cache-manager 2 with cache-manager 5, @nestjs/terminus 11), while
// the current major stays the package's own. One vitest project cannot do both: Vite resolves a
// module once for every test file, by the importing module, not by the test.
const modules = fileURLToPath(new URL('./node_modules/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^(@nestjs\/[^/]+)(\/.*)?$/, replacement: `${modules}$1$2` },
      { find: /^(rxjs|reflect-metadata)(\/.*)?$/, replacement: `${modules}$1$2` },
    ],
  },
  test: {
    name: 'nestjs-nest10',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
