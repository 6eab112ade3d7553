/**
 * The shell's `PREDICT model[@version] (value, ...)`: scores one row now through
 * POST /v1/models/:name/predict. The values are SQL literals — numbers, `-n`, `ARRAY[...]`,
 * TRUE/FALSE — one per INPUT column of the model, in declaration order.
 */
import { SluiceError } from '../common/errors.js';
import { parseExpression, type Expr } from '../parser/index.js';

export interface PredictCommand {
  readonly model: string;
  readonly version: number | undefined;
  /** The row: one value per INPUT column. */
  readonly row: readonly unknown[];
}

const PREDICT = /^\s*PREDICT\s+([A-Za-z_][A-Za-z0-9_]*)(?:@(\d+))?\s*\(([\s\S]*)\)\s*;?\s*$/i;

/** Whether the statement is a PREDICT command (the shell handles it itself). */
export function isPredictCommand(text: string): boolean {
  return /^\s*PREDICT\s/i.test(text);
}

/** Reads a PREDICT command; throws SYNTAX_ERROR naming what is wrong. */
export function parsePredictCommand(text: string): PredictCommand {
  const m = PREDICT.exec(text);
  if (!m) throw new SluiceError('SYNTAX_ERROR', 'PREDICT takes a model and its input values in parentheses', { hint: 'e.g. PREDICT fraud (ARRAY[0.1, 0.2, ...]); or PREDICT fraud@2 (...)' });
  const list = parseExpression(`ARRAY[${m[3]!}]`);
  if (list.kind !== 'Array') throw new SluiceError('SYNTAX_ERROR', 'PREDICT: the input values must be a list of literals');
  return { model: m[1]!, version: m[2] === undefined ? undefined : Number(m[2]), row: list.elements.map(literalValue) };
}

function literalValue(e: Expr): unknown {
  switch (e.kind) {
    case 'Literal':
      if (e.literal === 'string' || e.literal === 'null') throw new SluiceError('SYNTAX_ERROR', `PREDICT: model inputs are numbers, got ${e.literal === 'null' ? 'NULL' : `'${String(e.value)}'`}`);
      return typeof e.value === 'bigint' ? Number(e.value) : e.value;
    case 'Unary': {
      const v = e.op === '-' ? literalValue(e.operand) : undefined;
      if (typeof v !== 'number') throw new SluiceError('SYNTAX_ERROR', 'PREDICT: only numbers can be negated');
      return -v;
    }
    case 'Array':
      return e.elements.map(literalValue);
    default:
      throw new SluiceError('SYNTAX_ERROR', `PREDICT: input values must be literals (numbers, ARRAY[...]), got a ${e.kind.toLowerCase()} expression`);
  }
}
