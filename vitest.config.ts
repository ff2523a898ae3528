import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The packages' JavaScript is bundled from src/ by esbuild (tsc emits declarations only): rebuilt
    // before the tests, so that a test never runs stale code after `tsc -b` alone. Unchanged files are kept.
    globalSetup: ['packages/testkit/dist/build-dist.js'],
    // Tests that count resources() or tf.memory() need a process of their own.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
