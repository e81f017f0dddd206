import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: {
    name: 'express',
    include: ['test/**/*.test.ts'],
  },
});
