/** A position in SQL text. `line` and `column` are 1-based; `offset` is 0-based. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A half-open range of SQL text: `start` is the first character, `end` the one after the last. */
export interface Span {
  readonly start: Position;
  readonly end: Position;
}

export function spanOf(a: Span, b: Span): Span {
  return { start: a.start, end: b.end };
}

/** Positions of a span in a single-character range at `offset` in `text`. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { offset, line, column };
}
