import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: {
    // The root config's timeouts are not inherited by projects: tests start real servers.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    name: 'nestjs',
    include: ['test/**/*.test.ts'],
    // The Nest 10 suite resolves Nest from its own node_modules: test/nest10.test.ts runs it apart.
    exclude: ['test/nest10/**', '**/node_modules/**'],
  },
});
