import { defineConfig } from 'vitest/config';

// One vitest project per package, plus test/ for cross-package integration.
// Tests start real memcached servers, so they get generous timeouts; no test asserts on time.
export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
