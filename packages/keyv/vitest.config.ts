import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: {
    name: 'keyv',
    include: ['test/**/*.test.ts'],
  },
});
