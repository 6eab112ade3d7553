import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (about 35-140 s each on two cores), in the order they start. Two
 * files run at a time, so a long file that starts last keeps one worker busy after the other
 * has finished: starting these first packs the rest around them (about 40 s less in all than
 * vitest's own order on a fresh clone, which is by file size). The two kill -9 tests are kept
 * apart so that their child processes do not share the cores with each other.
 */
const LONGEST_FIRST = [
  'test/crash/windowed-crash.test.ts',
  'test/sql/tpch.test.ts',
  'test/kafka/crash.test.ts',
  'test/sql-runner.test.ts',
  'test/docs/docs-examples.test.ts',
  'test/kafka/scale-out.test.ts',
  'test/sql/random-queries.test.ts',
  'test/kafka/deleted-records.test.ts',
  'test/crash/prediction-log-crash.test.ts',
  'test/kafka/faults.test.ts',
  'test/exec/hash-join.test.ts',
  'test/crash/quality-crash.test.ts',
  'test/engine/memory-guard.test.ts',
  'test/console/browser.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = LONGEST_FIRST.indexOf(relative(this.ctx.config.root, f.moduleId));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    // Array sort is stable: the other files keep vitest's order after these.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two test files at a time even on two cores: most of the slow files wait on child
    // processes, brokers and timers rather than compute (npm test: about 650 s instead of 900 s).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongestFirst },
  },
});
