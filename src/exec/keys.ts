/** Key strings for tables, views and keyed state: one value as text; several joined by U+0001. */
export function keyOf(values: readonly unknown[]): string {
  if (values.length === 1) return keyPart(values[0]);
  return values.map(keyPart).join('\u0001');
}

function keyPart(v: unknown): string {
  if (v === null || v === undefined) return '\u0000';
  if (ArrayBuffer.isView(v)) return JSON.stringify(Array.from(v as unknown as ArrayLike<number>));
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
