/**
 * Finds the runnable examples of a markdown file: the commands of its `sh` blocks (a line ending
 * in `\` continues, a `<<'END'` here-document runs to its END line), the statements typed at
 * `sluice>` prompts (continued on `->` lines; the lines after one are the shell's answer), and
 * its `sql` blocks. The `# ` comment lines right after a command show its answer.
 */
export interface Example {
  readonly file: string;
  /** 1-based line of the example's first line in the file. */
  readonly line: number;
  readonly kind: 'sh' | 'shell' | 'sql';
  /** The command (sh), the statement with its `;` (shell), or the block (sql). */
  readonly text: string;
  /** What the docs show as the answer: comment lines after a command, lines after a statement. */
  readonly expected: readonly string[];
}

interface Block {
  readonly lang: string;
  readonly line: number;
  readonly lines: readonly string[];
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    out.push({ lang: open[1]!, line: start + 1, lines: lines.slice(start, end) });
    i = end;
  }
  return out;
}

const PROMPT = /^sluice> ?/;
const CONTINUATION = /^\s*-> ?/;

/** Statements at `sluice>` prompts from `lines[i]` on; returns them and the index after. */
function shellStatements(file: string, block: Block, from: number): { examples: Example[]; next: number } {
  const examples: Example[] = [];
  let i = from;
  while (i < block.lines.length && PROMPT.test(block.lines[i]!)) {
    const line = block.line + i;
    const parts = [block.lines[i]!.replace(PROMPT, '')];
    i++;
    while (i < block.lines.length && CONTINUATION.test(block.lines[i]!) && !parts.at(-1)!.trimEnd().endsWith(';')) {
      parts.push(block.lines[i]!.replace(CONTINUATION, ''));
      i++;
    }
    const expected: string[] = [];
    while (i < block.lines.length && !PROMPT.test(block.lines[i]!)) {
      if (block.lines[i]!.trim() !== '') expected.push(block.lines[i]!);
      i++;
    }
    examples.push({ file, line, kind: 'shell', text: parts.join('\n'), expected });
  }
  return { examples, next: i };
}

/** Whether `text` leaves a quoted string open, by shell quoting: '...', $'...' (with \\ escapes) and "..." (with \\ escapes). */
function openQuote(text: string): boolean {
  let quote: "'" | "$'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === undefined) {
      if (c === '\\') i++;
      else if (c === "'") quote = text[i - 1] === '$' ? "$'" : "'";
      else if (c === '"') quote = '"';
    } else if (c === '\\' && quote !== "'") i++;
    else if ((c === "'" && quote !== '"') || (c === '"' && quote === '"')) quote = undefined;
  }
  return quote !== undefined;
}

function shCommands(file: string, block: Block): Example[] {
  const out: Example[] = [];
  const lines = block.lines;
  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    if (first.trim() === '' || first.startsWith('#')) {
      i++;
      continue;
    }
    if (PROMPT.test(first)) {
      const { examples, next } = shellStatements(file, block, i);
      out.push(...examples);
      i = next;
      continue;
    }
    const line = block.line + i;
    const parts = [first];
    i++;
    // A line ending in a backslash continues; so does a quoted string left open ($'...' over lines).
    while ((parts.at(-1)!.endsWith('\\') || openQuote(parts.join('\n'))) && i < lines.length) parts.push(lines[i++]!);
    const heredoc = /<<'?(\w+)'?/.exec(parts.join('\n'));
    if (heredoc) {
      while (i < lines.length && lines[i] !== heredoc[1]) parts.push(lines[i++]!);
      if (i < lines.length) parts.push(lines[i++]!);
    }
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.startsWith('#')) expected.push(lines[i++]!.replace(/^# ?/, ''));
    out.push({ file, line, kind: 'sh', text: parts.join('\n'), expected });
  }
  return out;
}

export function examplesOf(file: string, markdown: string): Example[] {
  const out: Example[] = [];
  for (const b of blocks(markdown)) {
    if (b.lang === 'sh') out.push(...shCommands(file, b));
    else if (b.lang === 'sql') out.push({ file, line: b.line, kind: 'sql', text: b.lines.join('\n'), expected: [] });
    else if (b.lang === '' && b.lines.some((l) => PROMPT.test(l))) {
      const at = b.lines.findIndex((l) => PROMPT.test(l));
      out.push(...shellStatements(file, b, at).examples);
    }
  }
  return out;
}

/**
 * What an answer must hold to have the shape the docs show: every JSON field name, error code,
 * metric name and server-sent event name in the shown answer.
 */
export function shapeOf(expected: readonly string[]): string[] {
  const text = expected.join('\n');
  const marks = new Set<string>();
  for (const m of text.matchAll(/"(\w+)":/g)) marks.add(`"${m[1]}":`);
  for (const m of text.matchAll(/"code":\s*"(\w+)"/g)) marks.add(m[1]!);
  for (const m of text.matchAll(/^(sluice_\w+)/gm)) marks.add(m[1]!);
  for (const m of text.matchAll(/^event: (\w+)/gm)) marks.add(`event: ${m[1]}`);
  return [...marks];
}
