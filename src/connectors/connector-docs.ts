/** docs/connectors.md, generated from the connectors' declarations (scripts/connector-docs.ts writes it). */
import type { ConnectorRelation } from './connector.js';
import { typeText, type OptionDecl } from './connector-options.js';
import { CONNECTORS, STREAM_OPTIONS, VIEW_OPTIONS } from './registry.js';

const KINDS: readonly ConnectorRelation[] = ['stream', 'table', 'sink'];
const TITLE: Readonly<Record<ConnectorRelation, string>> = { stream: 'CREATE STREAM', table: 'CREATE TABLE', sink: 'CREATE SINK' };

function table(decls: readonly OptionDecl[]): string[] {
  if (decls.length === 0) return ['No options besides `connector`.', ''];
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| option | type | default | meaning |',
    '|---|---|---|---|',
    ...decls.map((d) => `| \`${d.name}\` | ${cell(typeText(d.type))} | ${d.default !== undefined ? cell(d.default) : '—'} | ${cell(d.doc)} |`),
    '',
  ];
}

export function connectorDocs(): string {
  const lines = [
    '# Connectors',
    '',
    '<!-- Generated from the option declarations in src/connectors by `npx tsx scripts/connector-docs.ts`; test/connectors/connector-docs.test.ts fails when this file is stale. -->',
    '',
    "A stream, table or sink names its connector with `connector = '<name>'` in `WITH (...)`. CREATE checks every",
    'option against the declarations below: an unknown option is an error with "did you mean", and a value of the',
    'wrong type is an error with a caret under the option, before anything is created.',
    '',
    '| connector | stream | table | sink |',
    '|---|---|---|---|',
    ...CONNECTORS.map((c) => `| \`${c.name}\` | ${KINDS.map((k) => (c.options[k] ? 'yes' : '—')).join(' | ')} |`),
    '',
    'Defaults: streams and sinks use `log`, tables use `table`.',
    '',
    '## Options of every stream',
    '',
    ...table(STREAM_OPTIONS),
  ];
  for (const c of CONNECTORS) {
    lines.push(`## \`${c.name}\``, '', c.doc, '');
    for (const k of KINDS) {
      const decls = c.options[k];
      if (!decls) continue;
      lines.push(`### ${TITLE[k]} ... WITH (connector = '${c.name}')`, '', ...table(decls));
    }
  }
  lines.push('## Materialized views', '', 'Views are kept in the engine\'s store and take no connector.', '', ...table(VIEW_OPTIONS));
  return `${lines.join('\n').trimEnd()}\n`;
}
