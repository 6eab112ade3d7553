import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addSafetyFlags, safetyOptions, type SafetyFlags } from '../../src/cli/safety-options.js';

function parse(args: string[]): ReturnType<typeof safetyOptions> {
  const cmd = addSafetyFlags(new Command('serve').exitOverride());
  cmd.parse(args, { from: 'user' });
  return safetyOptions(cmd.opts<SafetyFlags>());
}

describe('the safety flags of sluice serve and run', () => {
  it('leave the engine defaults when absent', () => {
    expect(parse([])).toEqual({});
  });

  it('map to engine options; --allow-path repeats', () => {
    expect(parse(['--trusted-functions', './udfs', '--function-memory-mb', '64', '--function-cpu-ms', '250', '--max-functions', '7', '--allow-path', '/a', '--allow-path', '/b', '--max-model-bytes', '1000', '--no-start-queries'])).toEqual({
      trustedFunctionsDir: './udfs',
      functionMemoryBytes: 64 * 1024 * 1024,
      functionCpuMsPerBatch: 250,
      maxFunctions: 7,
      allowedPaths: ['/a', '/b'],
      maxFileBytes: 1000,
      startQueries: false,
    });
  });

  it('--state-cache takes a size with binary units', () => {
    expect(parse(['--state-cache', '512MiB'])).toEqual({ stateCacheBytes: 512 * 1024 * 1024 });
    expect(parse(['--state-cache', '2g'])).toEqual({ stateCacheBytes: 2 * 1024 ** 3 });
    expect(parse(['--state-cache', '1TiB'])).toEqual({ stateCacheBytes: 1024 ** 4 });
    expect(() => parse(['--state-cache', 'plenty'])).toThrow(/number of bytes with an optional unit, e\.g\. 512MiB/);
    expect(() => parse(['--state-cache', '-5'])).toThrow(/number of bytes with an optional unit/);
    expect(() => parse(['--state-cache', '2PiB'])).toThrow(/unknown unit 'PiB': use KiB, MiB, GiB or TiB/);
    expect(() => parse(['--state-cache', '0'])).toThrow(/more than 0 bytes/);
  });

  it('refuse a budget that is not a positive integer', () => {
    expect(() => parse(['--function-cpu-ms', '0'])).toThrow(/positive integer/);
    expect(() => parse(['--max-model-bytes', 'lots'])).toThrow(/positive integer/);
  });
});
