import { describe, expect, it } from 'vitest';
import { isPredictCommand, parsePredictCommand } from '../../src/shell/predict-command.js';

describe("the shell's PREDICT command", () => {
  it('reads the model, an optional version and one literal per input', () => {
    expect(isPredictCommand('predict fraud (ARRAY[1, 2]);')).toBe(true);
    expect(isPredictCommand('SELECT predict(1)')).toBe(false);
    expect(parsePredictCommand('PREDICT fraud (ARRAY[0.5, -1, 2e-3]);')).toEqual({ model: 'fraud', version: undefined, row: [[0.5, -1, 0.002]] });
    expect(parsePredictCommand('predict fraud@2 (1.5, TRUE, ARRAY[1])')).toEqual({ model: 'fraud', version: 2, row: [1.5, true, [1]] });
  });

  it('refuses what is not a literal number with the reason', () => {
    expect(() => parsePredictCommand('PREDICT fraud')).toThrow('PREDICT takes a model and its input values in parentheses');
    expect(() => parsePredictCommand("PREDICT fraud ('x')")).toThrow("PREDICT: model inputs are numbers, got 'x'");
    expect(() => parsePredictCommand('PREDICT fraud (amount + 1)')).toThrow(/input values must be literals/);
  });
});
