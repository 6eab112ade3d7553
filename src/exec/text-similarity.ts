/**
 * How alike two strings are, as DuckDB's functions of the name measure it, by code point:
 * HAMMING (MISMATCHES), JACCARD (of the sets of characters), JARO_SIMILARITY,
 * JARO_WINKLER_SIMILARITY and DAMERAU_LEVENSHTEIN (edits with transpositions of neighbours).
 */

/** The most characters the quadratic measures take (their product), past which a row error. */
const MAX_CELLS = 10_000_000;

function chars(name: string, a: string, b: string): [string[], string[]] {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length * y.length > MAX_CELLS) throw new Error(`${name} of strings of ${x.length} and ${y.length} characters: their product is more than the ${MAX_CELLS} allowed`);
  return [x, y];
}

export function hamming(a: string, b: string): bigint {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length !== y.length) throw new Error(`HAMMING: the strings have ${x.length} and ${y.length} characters; they must be as long`);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return BigInt(n);
}

export function jaccard(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) throw new Error('JACCARD: a string is empty');
  const x = new Set(Array.from(a));
  const y = new Set(Array.from(b));
  let both = 0;
  for (const c of x) if (y.has(c)) both++;
  return both / (x.size + y.size - both);
}

export function jaroSimilarity(a: string, b: string): number {
  const [x, y] = chars('JARO_SIMILARITY', a, b);
  if (x.length === 0 || y.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(x.length, y.length) / 2) - 1);
  const xm = new Array<boolean>(x.length).fill(false);
  const ym = new Array<boolean>(y.length).fill(false);
  let matches = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(y.length, i + window + 1); j++) {
      if (ym[j] || x[i] !== y[j]) continue;
      xm[i] = ym[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let k = 0;
  let halfTranspositions = 0;
  for (let i = 0; i < x.length; i++) {
    if (!xm[i]) continue;
    while (!ym[k]) k++;
    if (x[i] !== y[k]) halfTranspositions++;
    k++;
  }
  const m = matches;
  return (m / x.length + m / y.length + (m - halfTranspositions / 2) / m) / 3;
}

/** Jaro similarity raised for a common prefix (up to 4 characters, scale 0.1) where it passes 0.7. */
export function jaroWinklerSimilarity(a: string, b: string): number {
  const jaro = jaroSimilarity(a, b);
  if (jaro <= 0.7) return jaro;
  const x = Array.from(a);
  const y = Array.from(b);
  let prefix = 0;
  while (prefix < Math.min(4, x.length, y.length) && x[prefix] === y[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/**
 * Edits (insert, delete, substitute, or swap two neighbouring characters, also after other edits:
 * 'ca' to 'abc' is 2) from `a` to `b`: the unrestricted Damerau-Levenshtein distance.
 */
export function damerauLevenshtein(a: string, b: string): bigint {
  const [x, y] = chars('DAMERAU_LEVENSHTEIN', a, b);
  const most = x.length + y.length;
  const d: number[][] = Array.from({ length: x.length + 2 }, () => new Array<number>(y.length + 2).fill(0));
  d[0]![0] = most;
  for (let i = 0; i <= x.length; i++) {
    d[i + 1]![0] = most;
    d[i + 1]![1] = i;
  }
  for (let j = 0; j <= y.length; j++) {
    d[0]![j + 1] = most;
    d[1]![j + 1] = j;
  }
  /** The last row at which each character of `x` was seen. */
  const lastRow = new Map<string, number>();
  for (let i = 1; i <= x.length; i++) {
    let lastMatchCol = 0;
    for (let j = 1; j <= y.length; j++) {
      const k = lastRow.get(y[j - 1]!) ?? 0;
      const l = lastMatchCol;
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      if (cost === 0) lastMatchCol = j;
      d[i + 1]![j + 1] = Math.min(d[i]![j]! + cost, d[i + 1]![j]! + 1, d[i]![j + 1]! + 1, d[k]![l]! + (i - k - 1) + 1 + (j - l - 1));
    }
    lastRow.set(x[i - 1]!, i);
  }
  return BigInt(d[x.length + 1]![y.length + 1]!);
}
