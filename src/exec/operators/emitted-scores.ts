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

  async record(key: string, s: EmittedScore): Promise<void> {
    const table = this.state.table(TABLE);
    const list = ((await table.get(key))?.['list'] as StateValue[] | undefined) ?? [];
    table.put(key, { list: [...list, [plain(s.output) as StateValue, s.version, s.role]] } satisfies StateRow);
  }

  /** Removes and returns the oldest output recorded under `key`; undefined when none is. */
  async take(key: string): Promise<EmittedScore | undefined> {
    const table = this.state.table(TABLE);
    const list = (await table.get(key))?.['list'] as (readonly [unknown, number, string?])[] | undefined;
    if (!list || list.length === 0) return undefined;
    const [first, ...rest] = list;
    if (rest.length) table.put(key, { list: rest as StateValue[] } satisfies StateRow);
    else table.delete(key);
    return { output: first![0], version: first![1], role: first![2] ?? 'serving' };
  }
}
