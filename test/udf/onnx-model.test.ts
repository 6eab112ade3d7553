import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { arrayOf, T } from '../../src/common/types.js';
import { AllowedFiles } from '../../src/udf/allowed-files.js';
import { parseDuration } from '../../src/common/duration.js';
import { ModelRegistry, parseModelOptions } from '../../src/udf/model-registry.js';
import { cudaProviderInstalled, OnnxModel } from '../../src/udf/onnx-model.js';
import { dataset, INPUTS, OUTPUTS, WIDTH } from './helpers.js';
import { linearModel } from './onnx-builder.js';

// Model files come from ./models and, for the fallback test's generated model, the temp folder.
const registry = new ModelRegistry({ files: new AllowedFiles({ roots: ['models', tmpdir()], baseDir: process.cwd() }) });
afterAll(() => registry.close());

async function direct(path: string, features: Float32Array, rows: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(path);
  const out = await s.run({ features: new ort.Tensor('float32', features.slice(0, rows * WIDTH), [rows, WIDTH]) });
  await s.release();
  return out['score']!.data as Float32Array;
}

async function loadError(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('OnnxModel', () => {
  it('scores exactly like a direct InferenceSession.run', async () => {
    const { rows, features } = dataset();
    const m = await OnnxModel.load({ name: 'fraud', path: 'models/fraud.onnx', inputs: INPUTS, outputs: OUTPUTS, device: 'cpu' });
    const r = await m.run(features, rows);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Array.from(r.outputs['score'] as Float32Array)).toEqual(Array.from(await direct('models/fraud.onnx', features, rows)));
    expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(m.width).toBe(WIDTH);
    await m.close();
  });

  it('reports a wrong width with the model, file, expected and actual', async () => {
    const e = await loadError(
      OnnxModel.load({ name: 'fraud', path: 'models/fraud.onnx', inputs: [{ name: 'features', type: arrayOf(T.FLOAT, 20), nullable: false }], outputs: OUTPUTS }),
    );
    expect(e.code).toBe('MODEL_SCHEMA_MISMATCH');
    expect(e.message).toBe(
      "model 'fraud': file 'models/fraud.onnx' does not match the declared signature: input 'features' is declared ARRAY<FLOAT>(20), which needs float32 [batch, 20], but the file has features float32 [batch, 30]",
    );
  });

  it('reports a wrong input name and a wrong output type', async () => {
    const e = await loadError(
      OnnxModel.load({
        name: 'fraud',
        path: 'models/fraud.onnx',
        inputs: [{ name: 'feats', type: arrayOf(T.FLOAT, 30), nullable: false }],
        outputs: [{ name: 'score', type: T.DOUBLE, nullable: false }],
      }),
    );
    expect(e.code).toBe('MODEL_SCHEMA_MISMATCH');
    expect(e.message).toBe(
      "model 'fraud': file 'models/fraud.onnx' does not match the declared signature: input 'feats' (ARRAY<FLOAT>(30)) is not in the file; its inputs are features float32 [batch, 30]; " +
        "the file's input features float32 [batch, 30] is not declared in INPUT; " +
        "output 'score' is declared DOUBLE, which needs float64 [batch] or [batch, 1], but the file has score float32 [batch, 1]",
    );
  });

  it('a missing file is a MODEL_ERROR', async () => {
    const e = await loadError(OnnxModel.load({ name: 'x', path: 'models/nope.onnx', inputs: INPUTS, outputs: OUTPUTS }));
    expect(e.code).toBe('MODEL_ERROR');
    expect(e.message).toMatch(/^model 'x': cannot read 'models\/nope.onnx': ENOENT/);
  });

  it.skipIf(cudaProviderInstalled().installed)("device = 'cuda' without the CUDA provider fails clearly", async () => {
    const e = await loadError(OnnxModel.load({ name: 'fraud', path: 'models/fraud.onnx', inputs: INPUTS, outputs: OUTPUTS, device: 'cuda' }));
    expect(e.code).toBe('MODEL_ERROR');
    expect(e.message).toMatch(/^model 'fraud': device = 'cuda' but the CUDA execution provider is not installed \(.*libonnxruntime_providers_cuda\.so is missing\)$/);
    expect(e.hint).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it.skipIf(cudaProviderInstalled().installed)("device = 'auto' falls back to CPU and says why", async () => {
    const v = await registry.register('auto_model', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'auto' });
    expect(v.provider).toBe('cpu');
    expect(v.providerReason).toMatch(/^device = 'auto': the CUDA execution provider is not installed .*; using CPU$/);
    expect(registry.describe('AUTO_MODEL').providerReason).toBe(v.providerReason);
  });
});

describe('model options', () => {
  it('parses durations and defaults', () => {
    expect(parseDuration('t', '5ms')).toBe(5);
    expect(parseDuration('t', '1s')).toBe(1000);
    expect(parseDuration('t', '250us')).toBe(0.25);
    expect(parseDuration('t', 7)).toBe(7);
    const o = parseModelOptions('m', { path: 'a.onnx', 'batch.max_rows': 1024, 'batch.max_wait': '5ms', timeout: '20ms', fallback: 'other', device: 'auto', inflight: 4 });
    const noLog = { log: false, logId: undefined, logInputs: false, logSample: 1, logRetentionMs: 7 * 86_400_000, metadata: undefined, watch: undefined, watchAs: 'version', updatesTopic: undefined, updatesBrokers: undefined, updatesAs: 'version', reference: undefined, referenceRows: 10_000, driftAlert: 0.2 };
    expect(o).toEqual({ path: 'a.onnx', maxRows: 1024, maxWaitMs: 5, timeoutMs: 20, fallback: 'other', device: 'auto', inflight: 4, ...noLog });
    const updates = parseModelOptions('m', { path: 'a.onnx', 'updates.topic': 'model-updates', 'updates.brokers': 'k1:9092, k2:9092', 'updates.as': 'candidate' });
    expect(updates).toMatchObject({ updatesTopic: 'model-updates', updatesBrokers: 'k1:9092, k2:9092', updatesAs: 'candidate' });
    expect(parseModelOptions('m', { 'updates.topic': 'none' }, updates).updatesTopic).toBeUndefined();
    expect(() => parseModelOptions('m', { path: 'a.onnx', 'updates.as': 'serving' })).toThrow("option 'updates.as' must be 'version' or 'candidate'");
    const logged = parseModelOptions('m', { path: 'a.onnx', log: 'on', 'log.id': 'tx_id', 'log.inputs': 'on', 'log.sample': 0.25, 'log.retention': '1d', metadata: '{"dataset": "tx-2026-11", "auc": 0.97}' });
    expect(logged).toMatchObject({ log: true, logId: 'tx_id', logInputs: true, logSample: 0.25, logRetentionMs: 86_400_000, metadata: '{"dataset":"tx-2026-11","auc":0.97}' });
    // Metadata belongs to one version: the next one does not inherit it; the log settings it does.
    expect(parseModelOptions('m', { path: 'b.onnx' }, logged)).toMatchObject({ log: true, logId: 'tx_id', metadata: undefined });
    expect(() => parseModelOptions('m', { path: 'a', metadata: '{nope' })).toThrow(/option 'metadata' is not valid JSON/);
    expect(() => parseModelOptions('m', { path: 'a', metadata: '[1]' })).toThrow("option 'metadata' must be a JSON object, got \"[1]\"");
    expect(() => parseModelOptions('m', { path: 'a', 'log.sample': 2 })).toThrow("option 'log.sample' must be a number from 0 to 1, got 2");
    expect(() => parseModelOptions('m', { path: 'a', log: 'maybe' })).toThrow("option 'log' must be 'on' or 'off', got \"maybe\"");
  });

  it('rejects bad values with clear errors', () => {
    expect(() => parseModelOptions('m', { path: 'a', 'batch.max_wait': 'soon' })).toThrow("option 'batch.max_wait' must be a duration such as '5ms' or '1s', got \"soon\"");
    expect(() => parseModelOptions('m', { path: 'a', inflight: 0 })).toThrow("option 'inflight' must be an integer from 1 to 64, got 0");
    expect(() => parseModelOptions('m', { path: 'a', device: 'tpu' })).toThrow("option 'device' must be 'auto', 'cpu' or 'cuda', got \"tpu\"");
    expect(() => parseModelOptions('m', { path: 'a', fallback: 'M' })).toThrow("model 'm' cannot be its own fallback");
    expect(() => parseModelOptions('m', {})).toThrow("model 'm' needs a path");
    try {
      parseModelOptions('m', { path: 'a', 'batch.max_row': 3 });
    } catch (e) {
      expect((e as SluiceError).message).toBe("unknown model option 'batch.max_row'");
      expect((e as SluiceError).hint).toBe("did you mean 'batch.max_rows'?");
    }
  });
});

describe('ModelRegistry', () => {
  it('registers, alters, keeps the old version on a failed load, drops', async () => {
    const v1 = await registry.register('Fraud', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu' }, 'sql');
    expect(v1.number).toBe(1);
    expect(registry.get('FRAUD').path).toBe('models/fraud.onnx');
    await expect(registry.register('fraud', INPUTS, OUTPUTS, { path: 'models/fraud.onnx' })).rejects.toThrow("model 'fraud' already exists");
    const v2 = await registry.alter('fraud', { path: 'models/fraud-mlp.onnx' }, 'http');
    expect(v2.number).toBe(2);
    expect(v2.registeredBy).toBe('http');
    expect(v2.options.device).toBe('cpu');
    expect(v2.checksum).not.toBe(v1.checksum);
    await expect(registry.alter('fraud', { path: 'models/missing.onnx' })).rejects.toThrow(/cannot read 'models\/missing.onnx'/);
    expect(registry.get('fraud').number).toBe(2);
    expect(registry.versions('fraud').map((v) => v.number)).toEqual([1, 2]);
    const json = JSON.parse(JSON.stringify(registry)) as { models: { name: string; version: number }[] };
    expect(json.models.find((m) => m.name === 'Fraud')?.version).toBe(2);
    await registry.drop('fraud');
    expect(registry.has('fraud')).toBe(false);
    expect(() => registry.get('fraud')).toThrow("unknown model 'fraud'");
  });

  it('refuses a fallback that is not registered or takes other rows, and keeps the active version', async () => {
    await registry.register('fb_main', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu' });
    const missing = await loadError(registry.alter('fb_main', { fallback: 'fb_lr' }));
    expect(missing.code).toBe('UNKNOWN_MODEL');
    expect(missing.message).toBe("model 'fb_main': fallback model 'fb_lr' is not registered");
    await registry.register('fb_lr', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu' });
    const typo = await loadError(registry.register('fb_other', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu', fallback: 'fb_lrr' }));
    expect(typo.hint).toBe("did you mean 'fb_lr'?");
    expect(registry.has('fb_other')).toBe(false);
    expect((await registry.alter('fb_main', { fallback: 'fb_lr', timeout: '20ms' })).number).toBe(2);
    // A model of 5 values a row cannot stand in for one of 30: refused after loading, and the
    // version before stays active.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-fallback-'));
    try {
      writeFileSync(join(dir, 'five.onnx'), linearModel());
      const five = [
        { name: 'a', type: arrayOf(T.FLOAT, 2), nullable: false },
        { name: 'b', type: arrayOf(T.FLOAT, 3), nullable: false },
      ];
      await registry.register('fb_five', five, [{ name: 'y', type: T.FLOAT, nullable: false }], { path: join(dir, 'five.onnx'), device: 'cpu' });
      const width = await loadError(registry.alter('fb_main', { fallback: 'fb_five' }));
      expect(width.code).toBe('SCHEMA_MISMATCH');
      expect(width.message).toBe("model 'fb_main' takes rows of 30 values, but its fallback 'fb_five' takes 5");
      expect(registry.get('fb_main').number).toBe(2);
      await registry.drop('fb_five');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await registry.drop('fb_lr');
    // Dropping a fallback later is allowed; its users fail their batches with the reason then.
    expect(registry.get('fb_main').options.fallback).toBe('fb_lr');
    await registry.drop('fb_main');
  });
});
