/**
 * What predict() emitted for each live row of an updating input, so that a retraction (-U or
 * -D) carries exactly the score and model version that went out for that row, even after a hot
 * swap, rather than a new score. Kept in the operator's state (checkpointed with it), keyed by
 * the row's upsert key (or the whole row when the input has no key); a key holds a list because
 * a keyless input may carry equal rows, which are retracted oldest first.
 */
import { plain, readColumn } from '../columns.js';
import { keyOf } from '../../common/keys.js';
import type { OperatorState } from '../message.js';
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { StateRow, StateValue } from '../../state/index.js';

/** One emitted output: the score (scalar, array or struct of outputs) and the model version. */
export interface EmittedScore {
  readonly output: unknown;
  readonly version: number;
  /** The role that scored it (model_role()); 'serving' for outputs recorded before roles existed. */
  readonly role: string;
}

const TABLE = 'emitted';

/** An output as stored: [score, model version, role] (no role in outputs recorded before roles). */
type Saved = readonly StateValue[];

/** One row's change to the emitted outputs: record `record` under `key`, or (without it) take the oldest. */
export interface EmittedChange {
  readonly key: string;
  readonly record?: EmittedScore | undefined;
}

export class EmittedScores {
  constructor(
    private readonly state: OperatorState,
    private readonly input: readonly Field[],
    /** Input columns identifying a row. */
    private readonly key: readonly number[],
  ) {}

  /** The state key of each row of `batch`. */
  keys(batch: RecordBatch): string[] {
    const cols = this.key.map((c) => readColumn(batch, c, this.input[c]!.type));
    return Array.from({ length: batch.numRows }, (_, i) => keyOf(cols.map((col) => plain(col[i]))));
  }

  /**
   * Applies one batch's changes in row order: a change with a score records it under its key, one
   * without takes (removes and returns) the oldest output recorded under its key, undefined when
   * none is. The keys are read in one batched read and written back once each.
   */
  async apply(changes: readonly EmittedChange[]): Promise<(EmittedScore | undefined)[]> {
    const table = this.state.table(TABLE);
    const keys = [...new Set(changes.map((c) => c.key))];
    const rows = await table.getMany(keys);
    const lists = new Map<string, Saved[]>();
    keys.forEach((k, i) => lists.set(k, [...((rows[i]?.['list'] as Saved[] | undefined) ?? [])]));
    const changed = new Set<string>();
    const out = changes.map(({ key, record }): EmittedScore | undefined => {
      const list = lists.get(key)!;
      if (record) {
        list.push([plain(record.output) as StateValue, record.version, record.role]);
        changed.add(key);
        return undefined;
      }
      const first = list.shift();
      if (!first) return undefined;
      changed.add(key);
      return { output: first[0], version: first[1] as number, role: (first[2] as string | undefined) ?? 'serving' };
    });
    for (const key of changed) {
      const list = lists.get(key)!;
      if (list.length) table.put(key, { list } satisfies StateRow);
      else table.delete(key);
    }
    return out;
  }
}
