/**
 * What the predict operator adds around its runner for a model rollout: which rows a canary
 * scores (by a hash of the row's key, so a key always meets the same model), putting a batch's
 * serving and canary results back together in row order, and the prediction log's rows.
 */
import type { RecordBatch } from 'apache-arrow';
import { fnv1a32 } from '../../common/hash.js';
import type { Field } from '../../common/types.js';
import type { OutputArray } from '../../udf/onnx-model.js';
import { SCORED_BY, type PredictResult } from '../../udf/predict-runner.js';
import { readColumn } from '../columns.js';

/**
 * The key's text hashed to a fraction in [0, 1): the same key always gets the same fraction, and
 * keys that differ in one character (`card-1`, `card-2`, ...) spread over the whole range.
 * FNV-1a alone leaves such keys close together in its high bits (`card-1` .. `card-9` all fell
 * below 0.07, so a canary of `share = 0.1` took every one of them); MurmurHash3's finaliser
 * mixes every input bit into every output bit.
 */
export function keyFraction(text: string): number {
  let h = fnv1a32(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The routing text of each packed row: its key column's value, else its input values. */
export function rowKeys(batch: RecordBatch, input: readonly Field[], keyColumn: number | undefined, index: Uint32Array | undefined, rows: number, features: Float32Array, width: number): string[] {
  const at = (j: number): number => (index ? index[j]! : j);
  if (keyColumn !== undefined) {
    const values = readColumn(batch, keyColumn, input[keyColumn]!.type);
    return Array.from({ length: rows }, (_, j) => String(values[at(j)]));
  }
  return Array.from({ length: rows }, (_, j) => Array.prototype.join.call(features.subarray(j * width, (j + 1) * width), ','));
}

/** Packed rows split into those the serving version scores and those the canary scores (indexes into the packed rows). */
export interface CanarySplit {
  readonly serving: Uint32Array;
  readonly canary: Uint32Array;
}

export function splitCanary(keys: readonly string[], share: number): CanarySplit {
  const serving: number[] = [];
  const canary: number[] = [];
  keys.forEach((k, j) => (keyFraction(k) < share ? canary : serving).push(j));
  return { serving: Uint32Array.from(serving), canary: Uint32Array.from(canary) };
}

/** The packed rows `rows` of `features` (width values each), copied. */
export function takeFeatures(features: Float32Array, width: number, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((j, k) => out.set(features.subarray(j * width, (j + 1) * width), k * width));
  return out;
}

/** Puts results of parts of a batch (each with the packed rows it scored) back into one result in row order. */
export function mergeResults(parts: readonly { readonly rows: Uint32Array; readonly result: PredictResult }[], total: number): PredictResult {
  const first = parts.find((p) => p.rows.length > 0)?.result ?? parts[0]!.result;
  const outputs: Record<string, OutputArray> = {};
  for (const [name, arr] of Object.entries(first.outputs)) {
    const width = first.rows > 0 ? arr.length / first.rows : 1;
    const ctor = arr.constructor as new (n: number) => OutputArray;
    outputs[name] = new ctor(total * width);
  }
  const versions = new Int32Array(total);
  const fallback = new Uint8Array(total);
  const scoredBy = new Uint8Array(total).fill(SCORED_BY.none);
  const latencyMs = new Float32Array(total);
  let errors: (string | undefined)[] | undefined;
  let errorCount = 0;
  let fallbackModel: string | undefined;
  for (const { rows, result } of parts) {
    fallbackModel ??= result.fallbackModel;
    errorCount += result.errorCount;
    rows.forEach((j, k) => {
      for (const [name, dst] of Object.entries(outputs)) {
        const src = result.outputs[name]!;
        const w = dst.length / total;
        (dst as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(src.subarray(k * w, (k + 1) * w), j * w);
      }
      versions[j] = typeof result.versions === 'number' ? result.versions : result.versions[k]!;
      fallback[j] = typeof result.fallback === 'boolean' ? (result.fallback ? 1 : 0) : result.fallback[k]!;
      scoredBy[j] = result.scoredBy[k]!;
      latencyMs[j] = result.latencyMs[k]!;
      const e = result.errors?.[k];
      if (e !== undefined) (errors ??= new Array<string | undefined>(total).fill(undefined))[j] = e;
    });
  }
  return { rows: total, outputs, versions, fallback, fallbackModel, errors, errorCount, scoredBy, latencyMs };
}

/** The role name of a row's SCORED_BY value; a candidate is a 'canary' or a 'shadow'. */
export function roleName(scoredBy: number, candidateRole: 'canary' | 'shadow'): string {
  switch (scoredBy) {
    case SCORED_BY.candidate:
      return candidateRole;
    case SCORED_BY.pinned:
      return 'pinned';
    case SCORED_BY.fallback:
      return 'fallback';
    default:
      return 'serving';
  }
}

/** One row of `<model>_predictions` (see predictionLogFields). */
export interface LogRow {
  readonly query: string;
  readonly id: string | null;
  /** The scored row's event time, or scored_at when its stream has none. */
  readonly event_time: number;
  readonly scored_at: number;
  readonly version: number | null;
  readonly role: string;
  readonly outputs: unknown;
  readonly inputs: number[] | null;
  readonly latency_ms: number | null;
  readonly error: string | null;
}
