import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import { decodeKey, encodeKey, encodeStringKey, prefixRange, stringPrefixRange, type KeyPart } from '../../src/state/index.js';
import { decodeFields, encodeRecordView, encodeValueView } from '../../src/state/codec.js';
import { encodeStringKeyView } from '../../src/state/keys.js';
import { decodeValue, encodeRecord, encodeValue, type StateValue } from '../../src/state/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = ['a', 'b', 'z', '\u0000', '\u00ff', '\u0100', '\uffff', '\u{1f600}', '/', ' '];

function randomPart(r: () => number): KeyPart {
  const t = r();
  if (t < 0.35) {
    const pick = r();
    if (pick < 0.1) return 0;
    if (pick < 0.2) return -0.5;
    if (pick < 0.3) return Number.MAX_SAFE_INTEGER;
    if (pick < 0.4) return -Infinity;
    if (pick < 0.5) return Infinity;
    return Math.floor((r() - 0.5) * 2 ** (r() * 60)) + (r() < 0.3 ? r() : 0);
  }
  if (t < 0.5) return BigInt(Math.floor((r() - 0.5) * 2 ** 52)) * BigInt(Math.floor(r() * 4096));
  let s = '';
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

function typeRank(p: KeyPart): number {
  return typeof p === 'number' ? 0 : typeof p === 'bigint' ? 1 : 2;
}

function comparePart(a: KeyPart, b: KeyPart): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'string' && typeof b === 'string') {
    const ca = [...a].map((c) => c.codePointAt(0) ?? 0);
    const cb = [...b].map((c) => c.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return (ca[i] ?? 0) - (cb[i] ?? 0);
    return ca.length - cb.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTuple(a: KeyPart[], b: KeyPart[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = comparePart(a[i] as KeyPart, b[i] as KeyPart);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

describe('key encoding', () => {
  it('orders random tuples like the tuples themselves and round-trips', () => {
    const r = rng(42);
    for (let n = 0; n < 3000; n++) {
      const a = Array.from({ length: Math.floor(r() * 4) }, () => randomPart(r));
      const b = r() < 0.3 ? [...a.slice(0, Math.floor(r() * a.length)), ...Array.from({ length: Math.floor(r() * 3) }, () => randomPart(r))] : Array.from({ length: Math.floor(r() * 4) }, () => randomPart(r));
      const ea = encodeKey(a);
      const eb = encodeKey(b);
      expect(Math.sign(Buffer.compare(ea, eb)), `${String(a)} vs ${String(b)}`).toBe(Math.sign(compareTuple(a, b)));
      expect(decodeKey(ea)).toEqual(a.map((p) => (Object.is(p, -0) ? 0 : p)));
    }
  });

  it('sorts offsets numerically', () => {
    const offs = [0, 1, 2, 9, 10, 255, 256, 65536, 2 ** 32, 2 ** 40 + 3];
    const keys = offs.map((o) => encodeKey(['log', 't', 0, o]));
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted).toEqual(keys);
  });

  it('prefix ranges contain exactly the extensions of the prefix', () => {
    const r = prefixRange(['s', 'q1']);
    const inside = [encodeKey(['s', 'q1']), encodeKey(['s', 'q1', 'x']), encodeKey(['s', 'q1', 5, 'y'])];
    const outside = [encodeKey(['s', 'q10']), encodeKey(['s', 'q']), encodeKey(['s', 'q2']), encodeKey(['t'])];
    for (const k of inside) expect(Buffer.compare(k, r.gte) >= 0 && Buffer.compare(k, r.lt) < 0).toBe(true);
    for (const k of outside) expect(Buffer.compare(k, r.gte) >= 0 && Buffer.compare(k, r.lt) < 0).toBe(false);
    const sp = stringPrefixRange(['kv'], 'ab');
    for (const s of ['ab', 'abc', 'ab\u0000', 'ab\u{1f600}']) {
      const k = encodeKey(['kv', s, 1]);
      expect(Buffer.compare(k, sp.gte) >= 0 && Buffer.compare(k, sp.lt) < 0).toBe(true);
    }
    for (const s of ['a', 'ac', 'b', '']) {
      const k = encodeKey(['kv', s]);
      expect(Buffer.compare(k, sp.gte) >= 0 && Buffer.compare(k, sp.lt) < 0).toBe(false);
    }
  });

  it('encodes a string after an encoded prefix exactly as the whole tuple', () => {
    const prefix: KeyPart[] = ['state', 'q1', 'op.groups', 0];
    for (const s of ['', 'k1', 'tx-000042', 'a\u0000b\u0000', 'ünï', '\u007f', 'x'.repeat(256), 'y'.repeat(257), '\u{1d11e}']) {
      expect(encodeStringKey(encodeKey(prefix), s)).toEqual(encodeKey([...prefix, s]));
    }
  });

  it('gives the same bytes as a scratch view, valid until the next call', () => {
    const prefix = encodeKey(['kv', 'view']);
    const strings = ['', 'k1', 'tx-000042', 'k2', 'a\u0000b', 'ünï', 'x'.repeat(256), 'y'.repeat(2000), 'k1'];
    for (const s of strings) expect(Buffer.from(encodeStringKeyView(prefix, s))).toEqual(encodeStringKey(prefix, s));
    // Keys of one length share one view of the scratch buffer: the next call overwrites it.
    const first = encodeStringKeyView(prefix, 'k1');
    const copy = Buffer.from(first);
    encodeStringKeyView(prefix, 'k2');
    expect(first).not.toEqual(copy);
  });

  it('rejects malformed keys and out-of-range bigints', () => {
    expect(() => decodeKey(Buffer.from([0x10, 1, 2]))).toThrow(/malformed/);
    expect(() => encodeKey([2n ** 64n])).toThrow(/64 bits/);
  });
});

describe('value codec', () => {
  it('round-trips rows with buffers, arrays and nulls', () => {
    const row = { id: 7, name: 'x', ok: true, none: null, tags: ['a', 1], blob: Buffer.from([1, 2, 3]), big: 12n };
    const back = decodeValue<typeof row>(encodeValue(row));
    expect(back).toEqual(row);
    expect(Buffer.isBuffer(back.blob)).toBe(true);
  });

  it('round-trips every kind of value exactly, in a compact binary form', () => {
    const values = [
      0,
      -0,
      1,
      -1,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      0.1,
      Number.MAX_VALUE,
      -Infinity,
      NaN,
      '',
      'ascii',
      'ünïcödé ✓ 𝄞',
      'x'.repeat(43),
      'é'.repeat(5000),
      'nul\u0000inside',
      true,
      false,
      null,
      -(2n ** 100n),
      Buffer.alloc(0),
      Buffer.alloc(300, 7),
      [],
      [1, [2, [3, 'four']], { five: 5 }],
      {},
      { g: ['k1'], c: 3, a: [3, 4.5], nested: { deeper: { deepest: [null] } } },
      { present: undefined, ['__proto__']: 'own property' },
      Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`col${i}`, i])),
    ];
    for (const v of values) {
      const bytes = encodeValue(v as StateValue);
      expect(bytes[0]).toBe(0x01);
      const back = decodeValue(bytes);
      expect(back).toStrictEqual(v);
      if (typeof v === 'number') expect(Object.is(back, v)).toBe(true);
    }
    expect(Object.keys(decodeValue<object>(encodeValue({ present: undefined })))).toEqual(['present']);
    expect(Object.getPrototypeOf(decodeValue<object>(encodeValue({ ['__proto__']: 1 } as StateValue)))).toBe(Object.prototype);
    // Far smaller than v8 serialization of a typical state row.
    const row = { g: ['tx-000123'], c: 1, a: [1, 12.5] };
    expect(encodeValue(row).length).toBeLessThan(v8.serialize(row).length);
  });

  it('decodes values stored in the earlier v8 format, and keeps using it for values beyond StateValue', () => {
    const old = { id: 7, name: 'x', tags: ['a', 1], blob: Buffer.from([1, 2]), big: 12n, none: null };
    expect(decodeValue(v8.serialize(old))).toEqual(old);
    const dated = { at: new Date(1000), m: new Map([[1, 'one']]) } as unknown as StateValue;
    const bytes = encodeValue(dated);
    expect(bytes[0]).toBe(0xff);
    expect(decodeValue(bytes)).toEqual(dated);
  });

  it('round-trips objects of many properties and inherited-looking names', () => {
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`c${i}`, { i, nested: Object.fromEntries(Array.from({ length: 130 }, (_, j) => [String(j), j])) }]));
    expect(decodeValue(encodeValue(wide as StateValue))).toStrictEqual(wide);
    const odd = { toString: 1, constructor: 'x', hasOwnProperty: null };
    expect(decodeValue(encodeValue(odd))).toStrictEqual(odd);
  });

  it('decodes property names right however many there are, whatever their length or characters', () => {
    // More names than are remembered by their bytes, some of equal length, non-ASCII, long, and
    // names that are other names' prefixes, decoded over and over in changing order.
    const names = [
      ...Array.from({ length: 600 }, (_, i) => `c${i}`),
      'é', 'ée', '😀', 'a'.repeat(32), 'a'.repeat(33), 'a'.repeat(31), '', '__proto__', 'constructor', 'k', 'kk',
    ];
    const random = rng(7);
    for (let round = 0; round < 50; round++) {
      const picked = names.filter(() => random() < 0.05);
      const row: Record<string, StateValue> = {};
      for (const n of picked) Object.defineProperty(row, n, { value: n.length, enumerable: true, writable: true, configurable: true });
      const back = decodeValue<Record<string, StateValue>>(encodeValue(row));
      expect(Object.keys(back)).toEqual(Object.keys(row));
      for (const n of picked) expect(Object.getOwnPropertyDescriptor(back, n)?.value).toBe(n.length);
    }
  });

  it('decodes only the wanted properties of a row, skipping every kind of value in between', () => {
    const row = {
      n: null, u: undefined, f: false, t: true, i: -7, d: 12.5, s: 'text é😀', big: -(2n ** 70n), b: Buffer.from([1, 2, 3]),
      a: [1, 'two', [3, { four: 4 }], Buffer.alloc(200, 9)], o: { x: 1, y: ['z', { w: null }] }, long: 'x'.repeat(5000), last: 'end',
    };
    const bytes = encodeValue(row as StateValue);
    const all = decodeValue<Record<string, StateValue>>(bytes);
    const names = Object.keys(row);
    const random = rng(11);
    for (let round = 0; round < 200; round++) {
      const wanted = new Set(names.filter(() => random() < 0.4));
      if (random() < 0.1) wanted.add('absent');
      const some = decodeFields<Record<string, StateValue>>(bytes, wanted);
      expect(some).toStrictEqual(Object.fromEntries(Object.entries(all).filter(([k]) => wanted.has(k))));
    }
    // A value that is not an object, or one in the older v8 format, comes back whole.
    expect(decodeFields(encodeValue([1, 2]), new Set(['x']))).toEqual([1, 2]);
    expect(decodeFields(v8.serialize({ a: 1, b: 2 }), new Set(['a']))).toEqual({ a: 1, b: 2 });
    // Bytes cut short are an error, not a wrong row.
    expect(() => decodeFields(bytes.subarray(0, bytes.length - 3), new Set(['n']))).toThrow(/cannot decode stored value/);
  });

  it('encodes a record given as names and values as the record itself', () => {
    const names = ['k', 'n', 's', '1', 'tags', '__proto__'];
    const values = ['tx-1', 3, 12.5, null, ['a', 2], 7];
    const row: Record<string, unknown> = {};
    names.forEach((n, i) => Object.defineProperty(row, n, { value: values[i], enumerable: true, writable: true, configurable: true }));
    expect(decodeValue(encodeRecord(names, values))).toStrictEqual(row);
    expect(encodeRecord(['k', 'n'], ['x', 1])).toEqual(encodeValue({ k: 'x', n: 1 }));
    // A value beyond StateValue falls back to v8 serialization of the whole record.
    const dated = encodeRecord(['at'], [new Date(1000)]);
    expect(dated[0]).toBe(0xff);
    expect(decodeValue(dated)).toEqual({ at: new Date(1000) });
  });

  it('gives the same bytes as a scratch view, valid until the next encode', () => {
    const values: StateValue[] = [{ g: ['k1'], c: 3, a: [3, 4.5] }, { g: ['k2'], c: 3, a: [3, 4.5] }, 'x'.repeat(5000), [1, 'two', null], { at: new Date(1) } as unknown as StateValue, {}];
    for (const v of values) expect(Buffer.from(encodeValueView(v))).toEqual(encodeValue(v));
    for (const [names, vals] of [[['k', 'n'], ['x', 1]], [['at'], [new Date(1000)]], [['s'], ['é'.repeat(3000)]]] as const) {
      expect(Buffer.from(encodeRecordView(names, vals))).toEqual(encodeRecord(names, vals));
    }
    const first = encodeValueView(values[0]!);
    const copy = Buffer.from(first);
    encodeValueView(values[1]!);
    expect(first).not.toEqual(copy);
    expect(decodeValue(copy)).toEqual(values[0]);
  });

  it('refuses bytes it cannot decode with STATE_ERROR', () => {
    for (const bad of [Buffer.alloc(0), Buffer.of(0x02, 0), Buffer.of(0x01, 0x63), Buffer.of(0x01, 0x06, 5, 0x61), Buffer.of(0x01, 0x00, 0x00)]) {
      expect(() => decodeValue(bad)).toThrow(/cannot decode stored value/);
    }
  });
});
