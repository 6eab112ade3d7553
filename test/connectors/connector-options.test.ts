/** Typed option declarations: parsing, error text, and what a query reads back. */
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { ParsedOptions, checkOptions, int, parseValue, str, typeText, type OptionDecl } from '../../src/connectors/connector-options.js';

const DECLS: readonly OptionDecl[] = [
  int('batch.size', 'Rows per batch.', '256', 1),
  str('format', 'Record format.', 'json', ['json', 'csv']),
  { name: 'lateness', type: { kind: 'duration' }, doc: 'Extra time.' },
  { name: 'ratio', type: { kind: 'number', min: 0, max: 1, minExclusive: true }, doc: 'A share.' },
  { name: 'on', type: { kind: 'boolean' }, doc: 'A switch.' },
  { name: 'start', type: { kind: 'timestamp' }, doc: 'A time.' },
];
const span = { start: { line: 1, column: 10, offset: 9 }, end: { line: 1, column: 20, offset: 19 } };

function failure(f: () => void): SluiceError {
  try {
    f();
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('option values', () => {
  it('parses each type as written in SQL (numbers may be quoted) and refuses what does not fit', () => {
    const [batch, format, lateness, ratio, on, start] = DECLS.map((d) => d.type);
    expect(parseValue(batch!, '512')).toBe(512);
    expect(parseValue(batch!, 0)).toBeUndefined();
    expect(parseValue(batch!, 2.5)).toBeUndefined();
    expect(parseValue(batch!, 'fast')).toBeUndefined();
    expect(parseValue(batch!, '')).toBeUndefined();
    expect(parseValue(format!, 'CSV')).toBe('csv');
    expect(parseValue(format!, 'avro')).toBeUndefined();
    expect(parseValue(lateness!, '1.5s')).toBe(1500);
    expect(parseValue(lateness!, 'soon')).toBeUndefined();
    expect(parseValue(ratio!, 0)).toBeUndefined();
    expect(parseValue(ratio!, 1)).toBe(1);
    expect(parseValue(ratio!, '0.25')).toBe(0.25);
    expect(parseValue(on!, 'TRUE')).toBe(true);
    expect(parseValue(on!, false)).toBe(false);
    expect(parseValue(on!, 'yes')).toBeUndefined();
    expect(parseValue(start!, '2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(parseValue(start!, 5)).toBe(5);
    expect(parseValue(start!, 'yesterday')).toBeUndefined();
    expect(typeText(ratio!)).toBe('a number above 0 and at most 1');
    expect(typeText(batch!)).toBe('an integer of at least 1');
  });
});

describe('checkOptions', () => {
  it('names the relation, connector, option, expected type and value, with the option span and its doc as hint', () => {
    const e = failure(() => checkOptions([{ key: 'Batch.Size', value: -3, span }], DECLS, { relation: 'stream tx', connector: 'gen' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe("stream tx (connector 'gen'): option 'batch.size' must be an integer of at least 1, got -3");
    expect(e.span).toEqual(span);
    expect(e.hint).toBe("'batch.size': Rows per batch. Default: 256.");
  });

  it('refuses an unknown key with "did you mean"', () => {
    const e = failure(() => checkOptions([{ key: 'batch.sise', value: 1, span }], DECLS, { relation: 'stream tx', connector: 'gen' }));
    expect(e.message).toBe("stream tx does not take option 'batch.sise' (connector 'gen')");
    expect(e.hint).toBe("did you mean 'batch.size'?");
    expect(e.span).toEqual(span);
  });

  it('accepts options that fit', () => {
    expect(() => checkOptions([{ key: 'batch.size', value: '8' }, { key: 'format', value: 'json' }, { key: 'on', value: true }], DECLS, { relation: 'stream tx' })).not.toThrow();
  });
});

describe('ParsedOptions', () => {
  it('reads parsed values and falls back to the default when absent', () => {
    const o = new ParsedOptions({ 'batch.size': '64', lateness: '2s' }, DECLS, 'stream tx');
    expect(o.number('batch.size', 256)).toBe(64);
    expect(o.number('lateness', 0)).toBe(2000);
    expect(o.string('format', 'json')).toBe('json');
    expect(o.boolean('on', false)).toBe(false);
  });

  it('fails on a stored value that no longer parses, and on an option nobody declared', () => {
    const o = new ParsedOptions({ 'batch.size': 'many' }, DECLS, 'stream tx');
    expect(() => o.number('batch.size', 1)).toThrow("stream tx: option 'batch.size' must be an integer of at least 1, got \"many\"");
    expect(() => o.number('nope', 1)).toThrow(/not declared/);
  });
});
