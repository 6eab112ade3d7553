import { readFileSync } from 'node:fs';
import { arrayOf, T, type Field } from '../../src/common/types.js';

export const WIDTH = 30;
export const INPUTS: Field[] = [{ name: 'features', type: arrayOf(T.FLOAT, WIDTH), nullable: false }];
export const OUTPUTS: Field[] = [{ name: 'score', type: T.FLOAT, nullable: false }];

/** The breast-cancer rows as packed float32 features. */
export function dataset(): { rows: number; features: Float32Array } {
  const lines = readFileSync('models/data/breast_cancer.csv', 'utf8').trim().split('\n').slice(1);
  const features = new Float32Array(lines.length * WIDTH);
  lines.forEach((l, i) => features.set(l.split(',').slice(0, WIDTH).map(Number), i * WIDTH));
  return { rows: lines.length, features };
}
