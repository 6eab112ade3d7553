/**
 * The command-line flags that set what SQL may reach on the host: trusted function modules,
 * sandbox budgets, the folders files may come from, whether recorded queries start, and the
 * heap budget of keyed state. Shared by `sluice serve` and `sluice run`.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { EngineOptions } from '../engine/engine.js';
import { parseByteSize } from '../state/index.js';

/** The flags as commander parses them. */
export interface SafetyFlags {
  readonly trustedFunctions?: string;
  readonly functionMemoryMb?: number;
  readonly functionCpuMs?: number;
  readonly maxFunctions?: number;
  readonly allowPath?: readonly string[];
  readonly maxModelBytes?: number;
  /** `--no-start-queries` sets it false. */
  readonly startQueries?: boolean;
  /** Bytes, from `--state-cache SIZE`. */
  readonly stateCache?: number;
}

/** Commander parser for a positive integer flag. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Commander parser for a byte size such as `256MiB`, `1g` or `1048576`. */
export function byteSize(value: string): number {
  const n = parseByteSize(value);
  if (n === undefined) {
    const unit = /^\s*\d+(?:\.\d+)?\s*([a-z]+)\s*$/i.exec(value)?.[1];
    throw new InvalidArgumentError(
      unit !== undefined ? `unknown unit '${unit}': use KiB, MiB, GiB or TiB (or k, m, g, t), e.g. 512MiB` : 'expected a number of bytes with an optional unit, e.g. 512MiB, 2GiB or 1048576',
    );
  }
  if (n <= 0) throw new InvalidArgumentError('the size must be more than 0 bytes, e.g. 512MiB');
  return n;
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addSafetyFlags(cmd: Command): Command {
  return cmd
    .option('--trusted-functions <dir>', 'allow CREATE FUNCTION ... WITH (module = ...) for modules in this folder; they run as host code (off by default)')
    .option('--function-memory-mb <mb>', 'heap limit of each sandboxed JavaScript function (default 32)', positiveInt)
    .option('--function-cpu-ms <ms>', 'time a sandboxed JavaScript function may take per batch, in ms (default 100)', positiveInt)
    .option('--max-functions <n>', 'most functions that may exist at once; each sandbox holds a thread (default 100)', positiveInt)
    .option('--allow-path <dir>', 'also allow model files from this folder (repeatable; the data folder and ./models always are)', collect)
    .option('--max-model-bytes <bytes>', 'largest model file SQL may load (default 1073741824, 1 GiB)', positiveInt)
    .option('--state-cache <size>', 'heap budget of the cache all queries read keyed state through, e.g. 512MiB or 2GiB; state beyond it stays in RocksDB (default 256MiB)', byteSize)
    .option('--no-start-queries', 'open the data folder without running its views and sinks (to DROP one that fails)');
}

/** The engine options the flags stand for (unset flags leave the engine's defaults). */
export function safetyOptions(f: SafetyFlags): Partial<EngineOptions> {
  return {
    ...(f.trustedFunctions !== undefined ? { trustedFunctionsDir: f.trustedFunctions } : {}),
    ...(f.functionMemoryMb !== undefined ? { functionMemoryBytes: f.functionMemoryMb * 1024 * 1024 } : {}),
    ...(f.functionCpuMs !== undefined ? { functionCpuMsPerBatch: f.functionCpuMs } : {}),
    ...(f.maxFunctions !== undefined ? { maxFunctions: f.maxFunctions } : {}),
    ...(f.allowPath !== undefined ? { allowedPaths: f.allowPath } : {}),
    ...(f.maxModelBytes !== undefined ? { maxFileBytes: f.maxModelBytes } : {}),
    ...(f.startQueries === false ? { startQueries: false } : {}),
    ...(f.stateCache !== undefined ? { stateCacheBytes: f.stateCache } : {}),
  };
}
