/**
 * Writes models/data/fraud-reference.csv, the drift reference of the demo's fraud model
 * (docs/models.md, "Drift"):
 *
 *   npx tsx scripts/fraud-reference.ts
 *
 * Rows: the first ROWS transactions of the datagen generator with its default settings (the demo's
 * `tx` stream, deterministic), their 30 features and the score of models/fraud.onnx for them.
 * Re-running the script writes the same file. Header: features[1],...,features[30],score, as the
 * reference file format asks.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { txEvent } from '../src/connectors/datagen.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = 2000;
const WIDTH = 30;

/** Five significant digits: plenty for ten quantile bins, and a small file. */
const num = (v: number): string => String(Number(v.toPrecision(5)));

const rows = Array.from({ length: ROWS }, (_, i) => txEvent(i).features);
const input = new Float32Array(ROWS * WIDTH);
rows.forEach((f, i) => input.set(f.slice(0, WIDTH), i * WIDTH));
const session = await ort.InferenceSession.create(join(ROOT, 'models/fraud.onnx'));
const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [ROWS, WIDTH]) });
const scores = out[session.outputNames[0]!]!.data as Float32Array;
const header = [...Array.from({ length: WIDTH }, (_, k) => `features[${k + 1}]`), 'score'].join(',');
const lines = rows.map((f, i) => [...f.slice(0, WIDTH).map(num), num(scores[i]!)].join(','));
writeFileSync(join(ROOT, 'models/data/fraud-reference.csv'), `${header}\n${lines.join('\n')}\n`);
console.log(`wrote models/data/fraud-reference.csv: ${ROWS} rows`);
