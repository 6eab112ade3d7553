/**
 * Models can be loaded again after every worker holding onnxruntime has ended: a failed first
 * CREATE MODEL, or DROP MODEL of the only model, must not break later loads in the process.
 * (Its own file, so that no other test's model keeps onnxruntime loaded.)
 */
import { describe, expect, it } from 'vitest';
import { arrayOf, T } from '../../src/common/types.js';
import { ModelRegistry } from '../../src/udf/model-registry.js';
import { INPUTS, OUTPUTS } from './helpers.js';

describe('loading models again', () => {
  it('works after a failed first load and after the only model was dropped', async () => {
    const registry = new ModelRegistry();
    try {
      const narrow = [{ name: 'features', type: arrayOf(T.FLOAT, 20), nullable: false }];
      await expect(registry.register('first', narrow, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu' })).rejects.toMatchObject({ code: 'MODEL_SCHEMA_MISMATCH' });
      // The failed load's worker is gone; nothing else holds onnxruntime in this process.
      await new Promise((r) => setTimeout(r, 100));
      expect((await registry.register('second', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu' })).number).toBe(1);
      await registry.drop('second');
      await new Promise((r) => setTimeout(r, 100));
      expect((await registry.register('third', INPUTS, OUTPUTS, { path: 'models/fraud-mlp.onnx', device: 'cpu' })).number).toBe(1);
    } finally {
      await registry.close();
    }
  });
});
