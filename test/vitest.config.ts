import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: {
    name: 'integration',
    // No `exclude: ['support/**']`: it would also drop support/support.test.ts, which checks the fixtures.
    include: ['**/*.test.ts'],
  },
});
