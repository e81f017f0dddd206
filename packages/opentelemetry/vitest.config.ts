import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: {
    // The root config's timeouts are not inherited by projects: tests start real servers.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    name: 'opentelemetry',
    include: ['test/**/*.test.ts'],
  },
});
