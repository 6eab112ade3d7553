/** Small ONNX graphs built in the tests, for shapes the example models do not have. */
import onnxPkg from 'onnx-proto';

const { onnx } = onnxPkg;

function value(name: string, dims: (number | string)[], elemType: number = onnx.TensorProto.DataType.FLOAT): onnxPkg.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

const raw = (x: Float32Array): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/** The linear model's weights: y = a·w[0..2] + b·w[2..5] + 0.5. */
export const LINEAR_WEIGHTS = [1, -2, 3, -4, 5] as const;
export const LINEAR_BIAS = 0.5;

/**
 * Two inputs, a: float [batch, 2] and b: float [batch, 3]; output y = concat(a, b) · w + 0.5
 * (float [batch, 1]). With `extraOutputs`, also z = -2y (float [batch, 1]), pair = [y, z]
 * (float [batch, 2]), whole = y cast to int64 (truncated; int64 [batch, 1]) and positive = y > 0
 * (bool [batch, 1]).
 */
export function linearModel(extraOutputs = false): Uint8Array {
  const nodes: onnxPkg.onnx.INodeProto[] = [
    { opType: 'Concat', input: ['a', 'b'], output: ['ab'], name: 'concat', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
    { opType: 'MatMul', input: ['ab', 'w'], output: ['abw'], name: 'matmul' },
    { opType: 'Add', input: ['abw', 'bias'], output: ['y'], name: 'add' },
  ];
  const initializer: onnxPkg.onnx.ITensorProto[] = [
    { name: 'w', dims: [5, 1], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw(Float32Array.from(LINEAR_WEIGHTS)) },
    { name: 'bias', dims: [1], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw(Float32Array.from([LINEAR_BIAS])) },
  ];
  const output = [value('y', ['batch', 1])];
  if (extraOutputs) {
    nodes.push(
      { opType: 'Mul', input: ['y', 'minus_two'], output: ['z'], name: 'mul' },
      { opType: 'Concat', input: ['y', 'z'], output: ['pair'], name: 'pair', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
      { opType: 'Cast', input: ['y'], output: ['whole'], name: 'whole', attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.INT64 }] },
      { opType: 'Greater', input: ['y', 'zero'], output: ['positive'], name: 'positive' },
    );
    initializer.push(
      { name: 'minus_two', dims: [1], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw(Float32Array.from([-2])) },
      { name: 'zero', dims: [1], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw(Float32Array.from([0])) },
    );
    output.push(
      value('z', ['batch', 1]),
      value('pair', ['batch', 2]),
      value('whole', ['batch', 1], onnx.TensorProto.DataType.INT64),
      value('positive', ['batch', 1], onnx.TensorProto.DataType.BOOL),
    );
  }
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'sluice-test',
    graph: { name: 'linear', node: nodes, initializer, input: [value('a', ['batch', 2]), value('b', ['batch', 3])], output },
  });
  return onnx.ModelProto.encode(model).finish();
}
