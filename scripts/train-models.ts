/**
 * Trains the example models shipped in models/ and writes them as ONNX files.
 *
 *   npx tsx scripts/train-models.ts
 *
 * Data: models/data/breast_cancer.csv (UCI Breast Cancer Wisconsin (Diagnostic), as shipped by
 * scikit-learn; 569 rows x 30 features). The score every model emits is P(malignant).
 *
 * Everything is deterministic: a seeded, stratified 80/20 split and seeded initialisation, plain
 * full-batch gradient descent in float64. Standardisation is folded into each graph (Sub, Div)
 * so the models take raw features. Test metrics are measured by running the written ONNX files
 * with onnxruntime-node, and recorded in models/README.md.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxPkg from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxPkg;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = join(ROOT, 'models');
const DATA = join(MODELS, 'data', 'breast_cancer.csv');
const SEED = 42;
const WIDTH = 30;
/** The wide MLP: two hidden layers of this size, the scale of a small production scoring net. */
const WIDE_HIDDEN = 256;
const WIDE_EPOCHS = 150;

// ---------------------------------------------------------------------------------------------
// data

interface Dataset {
  readonly x: Float64Array[];
  readonly y: Uint8Array;
}

function loadCsv(path: string): Dataset {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  // First line: "<rows>,<features>,<class 0 name>,<class 1 name>" (scikit-learn's layout).
  const header = (lines[0] ?? '').split(',');
  const rows = Number(header[0]);
  const cols = Number(header[1]);
  if (cols !== WIDTH || lines.length - 1 !== rows) throw new Error(`unexpected data set shape in ${path}`);
  const x: Float64Array[] = [];
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const parts = (lines[i + 1] ?? '').split(',').map(Number);
    x.push(Float64Array.from(parts.slice(0, WIDTH)));
    // Class 0 is malignant in the file; the models score malignancy, so it becomes the positive label.
    y[i] = parts[WIDTH] === 0 ? 1 : 0;
  }
  return { x, y };
}

/** mulberry32: a small, seedable PRNG, so the split and initialisation are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

/** Stratified split: 20% of each class goes to the test set. */
function split(d: Dataset, rand: () => number): { train: Dataset; test: Dataset } {
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [0, 1]) {
    const idx = shuffle([...d.y.keys()].filter((i) => d.y[i] === label), rand);
    const nTest = Math.round(idx.length * 0.2);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  const pick = (ids: number[]): Dataset => {
    const order = shuffle(ids, rand);
    return { x: order.map((i) => d.x[i] as Float64Array), y: Uint8Array.from(order.map((i) => d.y[i] as number)) };
  };
  return { train: pick(train), test: pick(test) };
}

function meanStd(xs: readonly Float64Array[]): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(WIDTH);
  const std = new Float64Array(WIDTH);
  for (const r of xs) for (let j = 0; j < WIDTH; j++) mean[j]! += r[j]! / xs.length;
  for (const r of xs) for (let j = 0; j < WIDTH; j++) std[j]! += (r[j]! - mean[j]!) ** 2 / xs.length;
  for (let j = 0; j < WIDTH; j++) std[j] = Math.sqrt(std[j]!) || 1;
  return { mean, std };
}

function standardise(xs: readonly Float64Array[], mean: Float64Array, std: Float64Array): Float64Array[] {
  return xs.map((r) => r.map((v, j) => (v - mean[j]!) / std[j]!));
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Standard normal draws from `rand` (Box-Muller), for weight initialisation. */
function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

// ---------------------------------------------------------------------------------------------
// training

interface Linear {
  readonly w: Float64Array;
  b: number;
}

function trainLogistic(xs: readonly Float64Array[], y: Uint8Array): Linear {
  const m: Linear = { w: new Float64Array(WIDTH), b: 0 };
  const lr = 0.1;
  const l2 = 1e-3;
  const n = xs.length;
  for (let epoch = 0; epoch < 3000; epoch++) {
    const gw = new Float64Array(WIDTH);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const r = xs[i]!;
      let z = m.b;
      for (let j = 0; j < WIDTH; j++) z += m.w[j]! * r[j]!;
      const err = sigmoid(z) - y[i]!;
      for (let j = 0; j < WIDTH; j++) gw[j]! += (err * r[j]!) / n;
      gb += err / n;
    }
    for (let j = 0; j < WIDTH; j++) m.w[j]! -= lr * (gw[j]! + l2 * m.w[j]!);
    m.b -= lr * gb;
  }
  return m;
}

interface Mlp {
  readonly w1: Float64Array; // [WIDTH, H] row-major
  readonly b1: Float64Array; // [H]
  readonly w2: Float64Array; // [H]
  b2: number;
  readonly hidden: number;
}

function trainMlp(xs: readonly Float64Array[], y: Uint8Array, hidden: number, rand: () => number): Mlp {
  const gauss = gaussian(rand);
  const m: Mlp = {
    w1: Float64Array.from({ length: WIDTH * hidden }, () => gauss() * Math.sqrt(2 / WIDTH)),
    b1: new Float64Array(hidden),
    w2: Float64Array.from({ length: hidden }, () => gauss() * Math.sqrt(2 / hidden)),
    b2: 0,
    hidden,
  };
  const n = xs.length;
  const lr = 0.05;
  const momentum = 0.9;
  const l2 = 1e-4;
  const v = { w1: new Float64Array(m.w1.length), b1: new Float64Array(hidden), w2: new Float64Array(hidden), b2: 0 };
  const h = new Float64Array(hidden);
  for (let epoch = 0; epoch < 2000; epoch++) {
    const g = { w1: new Float64Array(m.w1.length), b1: new Float64Array(hidden), w2: new Float64Array(hidden), b2: 0 };
    for (let i = 0; i < n; i++) {
      const r = xs[i]!;
      for (let k = 0; k < hidden; k++) {
        let z = m.b1[k]!;
        for (let j = 0; j < WIDTH; j++) z += r[j]! * m.w1[j * hidden + k]!;
        h[k] = z > 0 ? z : 0;
      }
      let z2 = m.b2;
      for (let k = 0; k < hidden; k++) z2 += h[k]! * m.w2[k]!;
      const err = (sigmoid(z2) - y[i]!) / n;
      g.b2 += err;
      for (let k = 0; k < hidden; k++) {
        g.w2[k]! += err * h[k]!;
        if (h[k]! <= 0) continue;
        const dh = err * m.w2[k]!;
        g.b1[k]! += dh;
        for (let j = 0; j < WIDTH; j++) g.w1[j * hidden + k]! += dh * r[j]!;
      }
    }
    for (let q = 0; q < m.w1.length; q++) {
      v.w1[q] = momentum * v.w1[q]! - lr * (g.w1[q]! + l2 * m.w1[q]!);
      m.w1[q]! += v.w1[q]!;
    }
    for (let k = 0; k < hidden; k++) {
      v.b1[k] = momentum * v.b1[k]! - lr * g.b1[k]!;
      m.b1[k]! += v.b1[k]!;
      v.w2[k] = momentum * v.w2[k]! - lr * (g.w2[k]! + l2 * m.w2[k]!);
      m.w2[k]! += v.w2[k]!;
    }
    v.b2 = momentum * v.b2 - lr * g.b2;
    m.b2 += v.b2;
  }
  return m;
}

/** A two-hidden-layer MLP: weights row-major [in, out]. */
interface DeepMlp {
  readonly w1: Float64Array; // [WIDTH, H]
  readonly b1: Float64Array; // [H]
  readonly w2: Float64Array; // [H, H]
  readonly b2: Float64Array; // [H]
  readonly w3: Float64Array; // [H]
  b3: number;
  readonly hidden: number;
}

/** out[n x m] = x[n x k] * w[k x m] + b, then ReLU when `relu`. */
function dense(x: Float64Array, w: Float64Array, b: Float64Array, n: number, k: number, m: number, relu: boolean): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const o = i * m;
    out.set(b, o);
    for (let p = 0; p < k; p++) {
      const a = x[i * k + p]!;
      if (a === 0) continue;
      const wp = p * m;
      for (let q = 0; q < m; q++) out[o + q]! += a * w[wp + q]!;
    }
    if (relu) for (let q = 0; q < m; q++) if (out[o + q]! < 0) out[o + q] = 0;
  }
  return out;
}

/** g[k x m] = x[n x k]^T * d[n x m] (the weight gradient of a dense layer). */
function weightGrad(x: Float64Array, d: Float64Array, n: number, k: number, m: number): Float64Array {
  const g = new Float64Array(k * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const a = x[i * k + p]!;
      if (a === 0) continue;
      const gp = p * m;
      const di = i * m;
      for (let q = 0; q < m; q++) g[gp + q]! += a * d[di + q]!;
    }
  }
  return g;
}

/**
 * Trains a WIDTH-H-H-1 MLP (ReLU, sigmoid) with full-batch gradient descent and momentum, the
 * same recipe as trainMlp with the two hidden layers done as matrix products.
 */
function trainDeepMlp(xs: readonly Float64Array[], y: Uint8Array, hidden: number, epochs: number, rand: () => number): DeepMlp {
  const gauss = gaussian(rand);
  const H = hidden;
  const m: DeepMlp = {
    w1: Float64Array.from({ length: WIDTH * H }, () => gauss() * Math.sqrt(2 / WIDTH)),
    b1: new Float64Array(H),
    w2: Float64Array.from({ length: H * H }, () => gauss() * Math.sqrt(2 / H)),
    b2: new Float64Array(H),
    w3: Float64Array.from({ length: H }, () => gauss() * Math.sqrt(1 / H)),
    b3: 0,
    hidden,
  };
  const n = xs.length;
  const x = new Float64Array(n * WIDTH);
  xs.forEach((r, i) => x.set(r, i * WIDTH));
  const lr = 0.02;
  const momentum = 0.9;
  const l2 = 1e-4;
  const params = [m.w1, m.b1, m.w2, m.b2, m.w3];
  const vel = params.map((p) => new Float64Array(p.length));
  let vb3 = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const h1 = dense(x, m.w1, m.b1, n, WIDTH, H, true);
    const h2 = dense(h1, m.w2, m.b2, n, H, H, true);
    // d(mean log loss)/d(logit) per row, then back through the layers.
    const dz = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let z = m.b3;
      for (let q = 0; q < H; q++) z += h2[i * H + q]! * m.w3[q]!;
      dz[i] = (sigmoid(z) - y[i]!) / n;
    }
    const gw3 = weightGrad(h2, dz, n, H, 1);
    let gb3 = 0;
    for (let i = 0; i < n; i++) gb3 += dz[i]!;
    const d2 = new Float64Array(n * H);
    for (let i = 0; i < n; i++) for (let q = 0; q < H; q++) if (h2[i * H + q]! > 0) d2[i * H + q] = dz[i]! * m.w3[q]!;
    const gw2 = weightGrad(h1, d2, n, H, H);
    const d1 = new Float64Array(n * H);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < H; p++) {
        if (h1[i * H + p]! <= 0) continue;
        let s = 0;
        for (let q = 0; q < H; q++) s += d2[i * H + q]! * m.w2[p * H + q]!;
        d1[i * H + p] = s;
      }
    }
    const gw1 = weightGrad(x, d1, n, WIDTH, H);
    const colSum = (d: Float64Array): Float64Array => {
      const g = new Float64Array(H);
      for (let i = 0; i < n; i++) for (let q = 0; q < H; q++) g[q]! += d[i * H + q]!;
      return g;
    };
    const grads = [gw1, colSum(d1), gw2, colSum(d2), gw3];
    params.forEach((p, k) => {
      const g = grads[k]!;
      const v = vel[k]!;
      const decay = k % 2 === 0 ? l2 : 0; // weights only, not biases
      for (let q = 0; q < p.length; q++) {
        v[q] = momentum * v[q]! - lr * (g[q]! + decay * p[q]!);
        p[q]! += v[q]!;
      }
    });
    vb3 = momentum * vb3 - lr * gb3;
    m.b3 += vb3;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// ONNX graph construction

type INode = onnxPkg.onnx.INodeProto;
type ITensor = onnxPkg.onnx.ITensorProto;

function tensor(name: string, dims: number[], values: ArrayLike<number>): ITensor {
  const data = Float32Array.from(values);
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function int64Tensor(name: string, dims: number[], values: number[]): ITensor {
  return { name, dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

function node(opType: string, inputs: string[], outputs: string[], attribute: onnxPkg.onnx.IAttributeProto[] = []): INode {
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute };
}

function floatValue(name: string, dims: (number | string)[]): onnxPkg.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function modelBytes(graphName: string, doc: string, nodes: INode[], initializer: ITensor[]): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'sluice-train-models',
    producerVersion: '1',
    docString: doc,
    graph: {
      name: graphName,
      node: nodes,
      initializer,
      input: [floatValue('features', ['batch', WIDTH])],
      output: [floatValue('score', ['batch', 1])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** features -> (x - mean) / std, the shared standardisation prefix. */
function standardiseNodes(mean: Float64Array, std: Float64Array): { nodes: INode[]; init: ITensor[] } {
  return {
    nodes: [node('Sub', ['features', 'mean'], ['centred']), node('Div', ['centred', 'std'], ['standardised'])],
    init: [tensor('mean', [WIDTH], mean), tensor('std', [WIDTH], std)],
  };
}

function logisticOnnx(m: Linear, mean: Float64Array, std: Float64Array): Uint8Array {
  const pre = standardiseNodes(mean, std);
  return modelBytes(
    'fraud_lr',
    'Logistic regression on raw features; score = P(malignant).',
    [...pre.nodes, node('MatMul', ['standardised', 'w'], ['xw']), node('Add', ['xw', 'b'], ['logit']), node('Sigmoid', ['logit'], ['score'])],
    [...pre.init, tensor('w', [WIDTH, 1], m.w), tensor('b', [1], [m.b])],
  );
}

/** Layer k of an MLP: input * w{k} + b{k}, then ReLU into h{k}, or straight into `out` (the logit). */
function denseNodes(input: string, k: number, out?: string): INode[] {
  const matmul = node('MatMul', [input, `w${k}`], [`h${k}_pre`]);
  if (out !== undefined) return [matmul, node('Add', [`h${k}_pre`, `b${k}`], [out])];
  return [matmul, node('Add', [`h${k}_pre`, `b${k}`], [`h${k}_biased`]), node('Relu', [`h${k}_biased`], [`h${k}`])];
}

function mlpOnnx(m: Mlp, mean: Float64Array, std: Float64Array): Uint8Array {
  const pre = standardiseNodes(mean, std);
  return modelBytes(
    'fraud_mlp',
    `MLP ${WIDTH}-${m.hidden}-1 (ReLU, sigmoid) on raw features; score = P(malignant).`,
    [...pre.nodes, ...denseNodes('standardised', 1), ...denseNodes('h1', 2, 'logit'), node('Sigmoid', ['logit'], ['score'])],
    [...pre.init, tensor('w1', [WIDTH, m.hidden], m.w1), tensor('b1', [m.hidden], m.b1), tensor('w2', [m.hidden, 1], m.w2), tensor('b2', [1], [m.b2])],
  );
}

function deepMlpOnnx(m: DeepMlp, mean: Float64Array, std: Float64Array): Uint8Array {
  const pre = standardiseNodes(mean, std);
  const H = m.hidden;
  return modelBytes(
    'fraud_mlp_wide',
    `MLP ${WIDTH}-${H}-${H}-1 (ReLU, sigmoid) on raw features; score = P(malignant).`,
    [...pre.nodes, ...denseNodes('standardised', 1), ...denseNodes('h1', 2), ...denseNodes('h2', 3, 'logit'), node('Sigmoid', ['logit'], ['score'])],
    [
      ...pre.init,
      tensor('w1', [WIDTH, H], m.w1),
      tensor('b1', [H], m.b1),
      tensor('w2', [H, H], m.w2),
      tensor('b2', [H], m.b2),
      tensor('w3', [H, 1], m.w3),
      tensor('b3', [1], [m.b3]),
    ],
  );
}

/**
 * A deliberately slow model for latency-budget tests: it scores like the logistic regression,
 * but first runs a chain of `steps` [dim x dim] MatMuls that depend on the input (so they are not
 * constant-folded) and whose result is added at a negligible scale. The large matrices are made
 * at load time by ConstantOfShape, so the file stays a few KB.
 */
function slowOnnx(m: Linear, mean: Float64Array, std: Float64Array, dim: number, steps: number): Uint8Array {
  const pre = standardiseNodes(mean, std);
  const nodes: INode[] = [
    ...pre.nodes,
    node('ReduceSum', ['features'], ['total'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
    node('Mul', ['total', 'tiny'], ['seed']),
    node('Expand', ['seed', 'square_shape'], ['m0']),
    node('ConstantOfShape', ['square_shape'], ['mix'], [
      { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: tensor('mix_value', [1], [1 / dim]) },
    ]),
  ];
  for (let s = 0; s < steps; s++) nodes.push(node('MatMul', [`m${s}`, 'mix'], [`m${s + 1}`]));
  nodes.push(
    node('ReduceSum', [`m${steps}`], ['busy'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
    node('Mul', ['busy', 'negligible'], ['busy_scaled']),
    node('MatMul', ['standardised', 'w'], ['xw']),
    node('Add', ['xw', 'b'], ['logit0']),
    node('Add', ['logit0', 'busy_scaled'], ['logit']),
    node('Sigmoid', ['logit'], ['score']),
  );
  return modelBytes(
    'slow',
    `Test model: logistic regression plus ${steps} input-dependent ${dim}x${dim} MatMuls to add latency.`,
    nodes,
    [
      ...pre.init,
      tensor('w', [WIDTH, 1], m.w),
      tensor('b', [1], [m.b]),
      tensor('tiny', [], [1e-6]),
      tensor('negligible', [], [1e-30]),
      int64Tensor('square_shape', [2], [dim, dim]),
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// evaluation

function auc(scores: Float32Array, y: Uint8Array): number {
  const order = [...scores.keys()].sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[order[k]!] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  const pos = y.reduce((s, v) => s + v, 0);
  const neg = y.length - pos;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

interface Metrics {
  readonly accuracy: number;
  readonly auc: number;
  readonly ms: number;
}

async function evaluate(path: string, d: Dataset): Promise<Metrics> {
  const session = await ort.InferenceSession.create(path);
  const input = new Float32Array(d.x.length * WIDTH);
  d.x.forEach((r, i) => input.set(r, i * WIDTH));
  const t0 = performance.now();
  const out = await session.run({ features: new ort.Tensor('float32', input, [d.x.length, WIDTH]) });
  const ms = performance.now() - t0;
  const scores = out['score']?.data;
  if (!(scores instanceof Float32Array)) throw new Error(`${path}: no float32 score output`);
  let correct = 0;
  for (let i = 0; i < d.y.length; i++) if ((scores[i]! >= 0.5 ? 1 : 0) === d.y[i]) correct++;
  await session.release();
  return { accuracy: correct / d.y.length, auc: auc(scores, d.y), ms };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function main(): Promise<void> {
  const data = loadCsv(DATA);
  const rand = rng(SEED);
  const { train, test } = split(data, rand);
  const { mean, std } = meanStd(train.x);
  const xs = standardise(train.x, mean, std);

  const lr = trainLogistic(xs, train.y);
  const mlp = trainMlp(xs, train.y, 16, rand);
  // Last, so the models above see the same random numbers as before it existed.
  const wide = trainDeepMlp(xs, train.y, WIDE_HIDDEN, WIDE_EPOCHS, rand);

  mkdirSync(MODELS, { recursive: true });
  const files: Record<string, Uint8Array> = {
    'fraud.onnx': logisticOnnx(lr, mean, std),
    'fraud-mlp.onnx': mlpOnnx(mlp, mean, std),
    'fraud-mlp-wide.onnx': deepMlpOnnx(wide, mean, std),
    'slow.onnx': slowOnnx(lr, mean, std, 512, 24),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(MODELS, name), bytes);

  const results: Record<string, { train: Metrics; test: Metrics }> = {};
  for (const name of Object.keys(files)) {
    results[name] = { train: await evaluate(join(MODELS, name), train), test: await evaluate(join(MODELS, name), test) };
  }
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  const row = (name: string, what: string): string => {
    const r = results[name];
    if (!r) return '';
    const bytes = files[name] ?? new Uint8Array();
    return `| \`${name}\` | ${what} | ${pct(r.train.accuracy)} | ${pct(r.test.accuracy)} | ${r.test.auc.toFixed(4)} | ${bytes.length} | \`${sha256(bytes).slice(0, 16)}\` |`;
  };
  const posTest = test.y.reduce((s, v) => s + v, 0);
  const readme = `# Models

Example models for Sluice, written by \`npx tsx scripts/train-models.ts\` (also \`npm run models\`).
Re-running the script rewrites these files byte for byte: the split and initialisation are seeded
(seed ${SEED}) and training is plain full-batch gradient descent in float64, in TypeScript.

Data: [\`data/breast_cancer.csv\`](data/) — the UCI Breast Cancer Wisconsin (Diagnostic) data set as
shipped by scikit-learn (${data.x.length} rows, ${WIDTH} numeric features; see \`data/README.md\`
for its origin and licence). The models score **P(malignant)**: the file's class 0 (malignant) is the
positive label. Split: stratified 80/20, ${train.x.length} training rows, ${test.x.length} test rows
(${posTest} malignant).

Every model takes the raw features — standardisation (training-set mean and standard deviation)
is folded into the graph as \`Sub\` and \`Div\` — and has the same signature:

- input \`features\`: float32 \`[batch, ${WIDTH}]\` (symbolic batch dimension)
- output \`score\`: float32 \`[batch, 1]\`
- ONNX IR 7, opset 13, operators \`Sub Div MatMul Add Relu Sigmoid\` (\`slow.onnx\` also uses
  \`ReduceSum Mul Expand ConstantOfShape\`)

\`\`\`sql
CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(${WIDTH})) OUTPUT (score FLOAT)
  WITH (path = 'models/fraud.onnx');
ALTER MODEL fraud SET (path = 'models/fraud-mlp.onnx');   -- version 2
\`\`\`

Measured by running each written file with onnxruntime-node (threshold 0.5 for accuracy):

| file | model | train accuracy | test accuracy | test AUC | bytes | sha256 (prefix) |
|---|---|---|---|---|---|---|
${row('fraud.onnx', 'logistic regression (version 1 in the docs)')}
${row('fraud-mlp.onnx', `MLP ${WIDTH}-16-1, ReLU, sigmoid`)}
${row('fraud-mlp-wide.onnx', `MLP ${WIDTH}-${WIDE_HIDDEN}-${WIDE_HIDDEN}-1, ReLU, sigmoid (${WIDE_EPOCHS} epochs)`)}
${row('slow.onnx', 'test only: the logistic regression plus busy work')}

\`fraud-mlp-wide.onnx\` has two hidden layers of ${WIDE_HIDDEN} (about ${Math.round((WIDTH * WIDE_HIDDEN + WIDE_HIDDEN * WIDE_HIDDEN + WIDE_HIDDEN) / 1000)}k multiply-adds per row), the
size of a small production scoring network; it is far larger than this data set needs and is
there so the model benchmark (\`npm run bench -- predict\`) covers a model whose own cost is not
negligible next to the engine's.

\`slow.onnx\` exists for the latency-budget tests (\`timeout\` / \`fallback\`): before scoring it runs
24 chained 512x512 MatMuls that depend on the input, so one call takes on the order of 100 ms on a small machine
regardless of batch size, against well under a millisecond for \`fraud.onnx\`. Its scores equal the logistic
regression's up to float rounding. (Timings are printed by the script, not written here, so that
re-running it leaves this file unchanged.)
`;
  writeFileSync(join(MODELS, 'README.md'), readme);
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name}: train acc ${pct(r.train.accuracy)}, test acc ${pct(r.test.accuracy)}, test AUC ${r.test.auc.toFixed(4)}, ${r.test.ms.toFixed(1)} ms`);
  }
}

await main();
