/**
 * A SQL editor: a textarea under a highlighted copy of its text (keywords, strings, numbers,
 * comments, catalog names), completion of keywords and catalog names, and the span of an error
 * marked where the server's position says.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export const KEYWORDS = [
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'HAVING', 'LIMIT', 'JOIN', 'LEFT', 'RIGHT', 'INNER', 'OUTER', 'ON', 'AS', 'AND', 'OR', 'NOT',
  'NULL', 'IS', 'IN', 'BETWEEN', 'LIKE', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'DISTINCT', 'UNION', 'ALL', 'WITH', 'CREATE', 'DROP', 'ALTER',
  'STREAM', 'TABLE', 'MATERIALIZED', 'VIEW', 'SINK', 'MODEL', 'INSERT', 'INTO', 'VALUES', 'SHOW', 'DESCRIBE', 'EXPLAIN', 'STREAMS', 'TABLES', 'VIEWS',
  'SINKS', 'MODELS', 'FUNCTIONS', 'QUERIES', 'WINDOW', 'TUMBLE', 'HOP', 'SESSION', 'WATERMARK', 'FOR', 'INTERVAL', 'PRIMARY', 'KEY', 'IF', 'EXISTS',
  'TRUE', 'FALSE', 'COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'INPUT', 'OUTPUT', 'PROMOTE', 'ROLLBACK', 'VERSION', 'DESC', 'ASC',
];
const KEYWORD_SET = new Set(KEYWORDS);

const TOKEN = /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)|([\s\S])/g;

interface Piece {
  readonly text: string;
  readonly cls: string;
  readonly start: number;
}

/** The text cut into highlighted pieces. */
export function highlight(sql: string, names: ReadonlySet<string>): Piece[] {
  const out: Piece[] = [];
  for (const m of sql.matchAll(TOKEN)) {
    const [text, comment, str, quoted, number, word] = m;
    const cls = comment ? 'tok-comment' : str ? 'tok-string' : quoted ? 'tok-name' : number ? 'tok-number' : word ? (KEYWORD_SET.has(word.toUpperCase()) ? 'tok-keyword' : names.has(word.toLowerCase()) ? 'tok-name' : '') : '';
    const prev = out[out.length - 1];
    if (prev && prev.cls === cls && cls === '') out[out.length - 1] = { ...prev, text: prev.text + text };
    else out.push({ text, cls, start: m.index });
  }
  return out;
}

/** Pieces split at `from` and `to` so the error span can be wrapped in a mark. */
function render(pieces: readonly Piece[], error: { from: number; to: number } | undefined): JSX.Element[] {
  const out: JSX.Element[] = [];
  for (const p of pieces) {
    const end = p.start + p.text.length;
    const cuts = [p.start, ...(error ? [error.from, error.to] : []).filter((c) => c > p.start && c < end), end].sort((a, b) => a - b);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const text = p.text.slice(cuts[i]! - p.start, cuts[i + 1]! - p.start);
      const inError = error !== undefined && cuts[i]! >= error.from && cuts[i]! < error.to;
      out.push(
        <span key={`${p.start}-${i}`} class={`${p.cls}${inError ? ' tok-error' : ''}`}>
          {text}
        </span>,
      );
    }
  }
  return out;
}

/** The word ending at `at`, and where it starts. */
function wordBefore(text: string, at: number): { word: string; start: number } {
  let start = at;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1]!)) start--;
  return { word: text.slice(start, at), start };
}

export function SqlEditor({ value, onChange, onRun, names, error }: { value: string; onChange: (v: string) => void; onRun: () => void; names: readonly string[]; error?: { from: number; to: number } | undefined }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const pre = useRef<HTMLPreElement>(null);
  const [menu, setMenu] = useState<{ items: string[]; start: number; selected: number } | undefined>(undefined);
  const nameSet = new Set(names.map((n) => n.toLowerCase()));

  const suggest = (text: string, at: number): void => {
    const { word, start } = wordBefore(text, at);
    if (word.length === 0) return setMenu(undefined);
    const lower = word.toLowerCase();
    const items = [...names.filter((n) => n.toLowerCase().startsWith(lower)).sort((a, b) => a.length - b.length || a.localeCompare(b)), ...KEYWORDS.filter((k) => k.toLowerCase().startsWith(lower))].filter((x) => x.toLowerCase() !== lower).slice(0, 8);
    setMenu(items.length > 0 ? { items, start, selected: 0 } : undefined);
  };

  // The catalog's names may arrive after the first keys (a slow first answer): offer them then
  // for the word being typed, as a key would have.
  const hadNames = useRef(names.length > 0);
  useEffect(() => {
    if (hadNames.current || names.length === 0) return;
    hadNames.current = true;
    const el = area.current;
    if (el && document.activeElement === el) suggest(el.value, el.selectionStart);
  }, [names]);

  const accept = (item: string): void => {
    const el = area.current;
    if (!el || !menu) return;
    const at = el.selectionStart;
    const next = value.slice(0, menu.start) + item + value.slice(at);
    onChange(next);
    setMenu(undefined);
    const caret = menu.start + item.length;
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(caret, caret);
    });
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      setMenu(undefined);
      onRun();
      return;
    }
    if (!menu) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const d = e.key === 'ArrowDown' ? 1 : -1;
      setMenu({ ...menu, selected: (menu.selected + d + menu.items.length) % menu.items.length });
    } else if (e.key === 'Tab' || e.key === 'Enter') {
      e.preventDefault();
      accept(menu.items[menu.selected]!);
    } else if (e.key === 'Escape') {
      setMenu(undefined);
    }
  };

  return (
    <div class="editor">
      <pre ref={pre} class="editor-highlight" aria-hidden="true">
        {render(highlight(value, nameSet), error)}
        {'\n'}
      </pre>
      <textarea
        ref={area}
        class="editor-input"
        spellcheck={false}
        autocomplete="off"
        aria-label="SQL"
        value={value}
        onInput={(e) => {
          const el = e.currentTarget;
          onChange(el.value);
          suggest(el.value, el.selectionStart);
        }}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (pre.current) {
            pre.current.scrollTop = e.currentTarget.scrollTop;
            pre.current.scrollLeft = e.currentTarget.scrollLeft;
          }
        }}
        // Choosing an item with the mouse keeps the focus (its mousedown is cancelled), so any blur closes the list.
        onBlur={() => setMenu(undefined)}
      />
      {menu ? (
        <ul class="completions" role="listbox">
          {menu.items.map((item, i) => (
            <li
              key={item}
              role="option"
              aria-selected={i === menu.selected}
              class={i === menu.selected ? 'selected' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(item);
              }}
            >
              {item}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
