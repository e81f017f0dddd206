import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: {
    name: 'cache-manager',
    include: ['test/**/*.test.ts'],
  },
});
