/**
 * Reads back the type text that `typeToString` writes (`TIMESTAMP(3)`, `ARRAY<DOUBLE>(30)`,
 * `STRUCT<a INT, b ARRAY<STRING>>`, `MAP(STRING, INT)`), for clients of results that carry column types as text.
 * Text it does not recognise is undefined, never a guess.
 */
import { mapOf, type DataType, type Field } from './types.js';

const SCALARS = new Set(['BOOLEAN', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'STRING', 'BYTES', 'DATE', 'TIME', 'INTERVAL', 'NULL']);

export function parseTypeText(text: string): DataType | undefined {
  const r = new Reader(text);
  const t = r.type();
  return t !== undefined && r.atEnd() ? t : undefined;
}

class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    this.blank();
    return this.i === this.s.length;
  }

  type(): DataType | undefined {
    const word = this.word()?.toUpperCase();
    if (word === undefined) return undefined;
    if (word === 'TIMESTAMP') return { kind: 'TIMESTAMP', precision: this.size() ?? 3 };
    if (word === 'ARRAY') {
      if (!this.take('<')) return undefined;
      const element = this.type();
      if (element === undefined || !this.take('>')) return undefined;
      const size = this.size();
      return size === undefined ? { kind: 'ARRAY', element } : { kind: 'ARRAY', element, size };
    }
    if (word === 'MAP') {
      if (!this.take('(')) return undefined;
      const key = this.type();
      const value = key === undefined || !this.take(',') ? undefined : this.type();
      return value !== undefined && this.take(')') ? mapOf(key!, value) : undefined;
    }
    if (word === 'STRUCT') {
      if (!this.take('<')) return undefined;
      const fields: Field[] = [];
      do {
        const name = this.word();
        const type = name === undefined ? undefined : this.type();
        if (name === undefined || type === undefined) return undefined;
        fields.push({ name, type, nullable: true });
      } while (this.take(','));
      return this.take('>') ? { kind: 'STRUCT', fields } : undefined;
    }
    return SCALARS.has(word) ? ({ kind: word } as DataType) : undefined;
  }

  private size(): number | undefined {
    if (!this.take('(')) return undefined;
    const m = /^\s*(\d+)\s*\)/.exec(this.s.slice(this.i));
    if (!m) return undefined;
    this.i += m[0].length;
    return Number(m[1]);
  }

  private word(): string | undefined {
    this.blank();
    const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(this.s.slice(this.i));
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  private take(c: string): boolean {
    this.blank();
    if (this.s[this.i] !== c) return false;
    this.i++;
    return true;
  }

  private blank(): void {
    while (this.s[this.i] === ' ') this.i++;
  }
}
