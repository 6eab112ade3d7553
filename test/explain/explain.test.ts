/**
 * Golden plans: for every .sql file under queries/ (DuckDB oracles aside), the DDL runs on a
 * fresh engine and the EXPLAIN text of each SELECT, CREATE MATERIALIZED VIEW and CREATE SINK is
 * compared with queries/**\/<name>.explain. SLUICE_UPDATE_EXPECTED=1 rewrites the .explain files.
 * Files under queries/nexmark/ get the Nexmark streams (nexmarkDdl) first.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { nexmarkDdl } from '../../src/connectors/nexmark.js';
import { Engine } from '../../src/engine/engine.js';
import { parseStatements } from '../../src/parser/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const QUERIES = join(ROOT, 'queries');
const UPDATE = process.env['SLUICE_UPDATE_EXPECTED'] === '1';

function sqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'duckdb' ? [] : sqlFiles(path);
      return name.endsWith('.sql') && name !== 'schema.sql' ? [path] : [];
    });
}

/** Shared DDL for a query file: queries/**\/schema.sql files on its path, and Nexmark streams. */
function sharedDdl(file: string): string {
  const parts: string[] = [];
  const rel = relative(QUERIES, file).split('/').slice(0, -1);
  for (let i = 0; i <= rel.length; i++) {
    const schema = join(QUERIES, ...rel.slice(0, i), 'schema.sql');
    if (existsSync(schema)) parts.push(readFileSync(schema, 'utf8'));
  }
  if (rel[0] === 'nexmark') parts.unshift(Object.values(nexmarkDdl()).join('\n'));
  return parts.join('\n');
}

const firstLine = (text: string): string => text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('--'))?.trim() ?? '';

/** The EXPLAIN text of every query statement of `file`, each under a `-- ` header line. */
async function explainFile(file: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-explain-'));
  const engine = await Engine.open({ dataDir: dir, baseDir: ROOT });
  const out: string[] = [];
  try {
    const ddl = sharedDdl(file);
    if (ddl.trim() !== '') await engine.execute(ddl);
    for (const { statement, text } of parseStatements(readFileSync(file, 'utf8'))) {
      const kind = statement.kind;
      if (kind === 'Query' || kind === 'CreateMaterializedView' || kind === 'CreateSink') {
        let plan: string;
        try {
          const [r] = await engine.execute(`EXPLAIN ${text}`);
          plan = r?.kind === 'explain' ? r.text : `unexpected ${r?.kind} result`;
        } catch (err) {
          plan = err instanceof SluiceError ? err.render() : String(err);
        }
        out.push(`-- ${firstLine(text)}\n${plan}`);
        if (kind === 'Query') continue;
        try {
          await engine.execute(text);
        } catch (err) {
          out.push(`-- running it fails:\n${err instanceof SluiceError ? err.render() : String(err)}`);
        }
        continue;
      }
      await engine.execute(text);
    }
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out.join('\n\n') + '\n';
}

describe('EXPLAIN of every query in queries/', () => {
  for (const file of sqlFiles(QUERIES)) {
    const name = relative(ROOT, file);
    it(name, async () => {
      const actual = await explainFile(file);
      const golden = file.replace(/\.sql$/, '.explain');
      if (UPDATE || !existsSync(golden)) writeFileSync(golden, actual);
      expect(actual).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
