/**
 * The README tour and the docs' examples work as written. The test starts the demo the way the
 * README does (`npm start`, with its own --port and --data) and runs, in document order, every
 * command of README.md and docs/*.md `sh` blocks, every statement typed at a `sluice>` prompt
 * (through `sluice shell`), and every `sql` block (POST /v1/sql); then it checks each answer has
 * the shape the docs show (see shapeOf). Commands are taken from the markdown itself, so a doc
 * edit that breaks one fails here. What is rewritten, and only that:
 *   - `localhost:8080` / `127.0.0.1:8080` become the test server's address, and SLUICE_URL is
 *     set to it (the shell's default server);
 *   - `--data DIR` becomes a folder of the test's own.
 * Streaming commands (`curl -sN`, `sluice run` with push queries) run for a few seconds and are
 * then interrupted, as a reader would press Ctrl-C. The examples that cannot run here are listed
 * in SKIPPED / SKIPPED_FILES with the reason; a listed one that no longer exists fails the test.
 * docs/models.md runs on a second server without the demo (its examples create their own model).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '../server/server-process.js';
import { isQuery, splitStatements } from '../../src/shell/statement-splitter.js';
import { examplesOf, shapeOf, type Example } from './examples.js';

/** README.md and every markdown file under docs/, so a new page's examples run too. */
function markdownFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? markdownFiles(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : []));
}
const DOCS = ['README.md', ...markdownFiles('docs')];

/** Files none of whose examples can run here. */
const SKIPPED_FILES: Readonly<Record<string, string>> = {
  'docs/kafka.md': 'needs a Kafka broker; test/kafka runs the connector against the Kafka test broker',
  'docs/sql.md': 'syntax synopses with [optional] parts and (...) placeholders, not statements; test/sql runs the statements it describes',
};

/** Single examples that cannot run here, by file and the start of their first line. */
const SKIPPED: Readonly<Record<string, string>> = {
  'README.md: npm ci && npm start': 'installs the dependencies; the test starts the demo with the same `npm start` (on its own port and folder)',
  'README.md: npm test': 'runs the whole suite, this test included',
  'docs/http-api.md: npx sluice serve --port 8080': 'starts another server on 8080; the test runs against the demo it started',
  'docs/http-api.md: curl -s localhost:8080/v1/views/by_region/lookup': 'needs a view keyed by two columns, which the demo has not; test/server covers the route',
  'docs/http-api.md: curl -s -X DELETE localhost:8080/v1/queries/push_1': 'needs a push query streaming in another terminal; test/server covers it',
  'README.md: curl -s localhost:8080/v1/models/fraud/quality': 'the answer shown holds per-window quality rows, which need labels that arrived after the first window closed; a demo started seconds ago has none yet',
  'docs/models.md: ONNXRUNTIME_NODE_INSTALL=cuda12': 'downloads the CUDA provider from api.nuget.org',
  'docs/models.md: ls node_modules/onnxruntime-node/bin': 'lists what that download installed',
  'docs/models.md: DROP MATERIALIZED VIEW fraud_label_counts': 'moves a prediction log created by an earlier release (which this server has not) to event time, dropping the views and log the later examples read',
};

const STREAM_SECONDS = 8;

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  readonly log: () => string;
}

let scratch: string;
let demo: Server;
let plain: Server;
let folders = 0;

function skipReason(e: Example): string | undefined {
  const first = e.text.split('\n')[0]!.trim();
  for (const [key, reason] of Object.entries(SKIPPED)) {
    const [file, start] = [key.slice(0, key.indexOf(': ')), key.slice(key.indexOf(': ') + 2)];
    const exact = start.endsWith('$');
    if (file === e.file && (exact ? first === start.slice(0, -1) : first.startsWith(start))) return reason;
  }
  return undefined;
}

function spawnGroup(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, [...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitFor(what: string, check: () => Promise<boolean>, server: Server, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`server exited before ${what}:\n${server.log()}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}:\n${server.log()}`);
}

async function startServer(cmd: string, args: readonly string[]): Promise<Server> {
  const port = await freePort();
  const { child, output } = spawnGroup(cmd, [...args, '--port', String(port)]);
  const server = { url: `http://127.0.0.1:${port}`, child, log: output };
  await waitFor('/healthz', async () => (await fetch(`${server.url}/healthz`)).ok, server, 240_000);
  return server;
}

function rewrite(text: string, server: Server): string {
  return text
    .replace(/\b(?:localhost|127\.0\.0\.1):8080\b/g, server.url.replace(/^http:\/\//, ''))
    .replace(/--data\s+\S+/g, () => `--data ${join(scratch, `data-${++folders}`)}`);
}

/** Runs a `sh` example with bash; a streaming one is interrupted after STREAM_SECONDS. */
async function runSh(e: Example, server: Server): Promise<{ code: number | null; output: string; streamed: boolean }> {
  const text = rewrite(e.text, server);
  const streaming = /curl\s+-sN\b|sluice run\b/.test(text);
  const { child, output } = spawnGroup('bash', ['-c', text], { SLUICE_URL: server.url });
  let streamed = false;
  const timer = setTimeout(
    () => {
      streamed = streaming;
      killGroup(child, streaming ? 'SIGINT' : 'SIGKILL');
    },
    streaming ? STREAM_SECONDS * 1000 : 90_000,
  );
  const code = await exited(child);
  clearTimeout(timer);
  // Let the pipes drain.
  await new Promise((r) => setTimeout(r, 50));
  return { code, output: output(), streamed };
}

/** Runs statements through the shell, as typed at its prompt. */
async function runShell(e: Example, server: Server): Promise<string> {
  const child = spawn(process.execPath, ['bin/sluice.js', 'shell', '--url', server.url], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.write(`${e.text}\n`);
  // Ends the input once the shell has answered (its prompt is back), as a user would type Ctrl-D.
  const deadline = Date.now() + 60_000;
  while (out.split('sluice> ').length - 1 < 2 && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited(child);
  clearTimeout(timer);
  return out;
}

async function firstLine(body: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!;
}

async function check(e: Example, server: Server): Promise<void> {
  const where = `${e.file}:${e.line}`;
  if (e.kind === 'sql') {
    // As typed in the shell: one statement after the other; a SELECT streams until its first message.
    for (const stmt of splitStatements(`${e.text}\n;`).statements) {
      if (isQuery(stmt)) {
        const ac = new AbortController();
        const res = await fetch(`${server.url}/v1/query`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: stmt, signal: ac.signal });
        const first = res.body === null ? '' : await firstLine(res.body);
        ac.abort();
        expect(res.status, `${where}: ${stmt}: ${first}`).toBe(200);
        expect(first, `${where}: ${stmt}`).toContain('"columns":');
        continue;
      }
      const res = await fetch(`${server.url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: stmt });
      const body = await res.text();
      expect(res.status, `${where}: ${stmt}: ${body}`).toBe(200);
      expect(body, `${where}: ${stmt}`).not.toContain('"error":');
    }
    return;
  }
  if (e.kind === 'shell') {
    const out = await runShell(e, server);
    if (e.expected.length === 0) expect(out, where).not.toMatch(/\bERROR\b/);
    for (const line of e.expected) expect(out, `${where}: the shell's answer shows ${JSON.stringify(line)}`).toContain(line.trimEnd());
    return;
  }
  const { code, output, streamed } = await runSh(e, server);
  const shape = shapeOf(e.expected);
  for (const mark of shape) expect(output, `${where}: the answer holds ${mark}`).toContain(mark);
  if (!streamed) expect(code, `${where}: exit code; output:\n${output}`).toBe(0);
  // An answer the docs show without an error (no error code, no "error" field) must have none.
  if (!shape.some((m) => /^[A-Z_]+$/.test(m) || m === '"error":')) expect(output, `${where}: no error expected`).not.toMatch(/"error":|^ERROR\b/m);
  if (/^curl\b/.test(e.text)) expect(output.trim(), `${where}: an answer`).not.toBe('');
}

const all = DOCS.flatMap((file) => examplesOf(file, readFileSync(join(REPO_ROOT, file), 'utf8')));
const runnable = all.filter((e) => SKIPPED_FILES[e.file] === undefined && skipReason(e) === undefined);
const label = (e: Example): string => `${e.file}:${e.line} ${e.text.split('\n')[0]!.slice(0, 90)}`;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sluice-docs-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // As the README says, with the port and data folder of this test.
  [demo, plain] = await Promise.all([
    startServer(npm, ['start', '--', '--data', join(scratch, 'demo')]),
    startServer(process.execPath, ['bin/sluice.js', 'serve', '--data', join(scratch, 'plain'), '--trusted-functions', 'examples/udfs']),
  ]);
  // The tour reads card-1's score at once; let the demo score a few transactions first.
  await waitFor('fraud_scores to hold card-1', async () => (await fetch(`${demo.url}/v1/views/fraud_scores/keys/card-1`)).ok, demo, 60_000);
}, 300_000);

afterAll(async () => {
  for (const s of [demo, plain]) {
    if (s === undefined) continue;
    killGroup(s.child, 'SIGTERM');
    await exited(s.child);
  }
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('docs examples', () => {
  it('finds the examples, and every skip-list entry still names one', () => {
    expect(runnable.length).toBeGreaterThan(30);
    for (const key of Object.keys(SKIPPED)) expect(all.some((e) => skipReason(e) === SKIPPED[key]), key).toBe(true);
    for (const file of Object.keys(SKIPPED_FILES)) expect(all.some((e) => e.file === file), file).toBe(true);
  });

  for (const e of runnable) {
    it(label(e), async () => check(e, e.file === 'docs/models.md' ? plain : demo), 120_000);
  }
});

describe('figures in the docs', () => {
  it("docs/models.md quotes the wide MLP's engine / direct ratio from bench/RESULTS.md", () => {
    const models = readFileSync(join(REPO_ROOT, 'docs/models.md'), 'utf8');
    const quoted = /30-256-256-1 MLP runs at (\d\.\d\d)–(\d\.\d\d) of a/.exec(models.replace(/\s+/g, ' '));
    expect(quoted, 'docs/models.md quotes a range').not.toBeNull();
    const results = readFileSync(join(REPO_ROOT, 'bench/RESULTS.md'), 'utf8');
    const ratios = results
      .split('\n')
      .filter((l) => /^\| fraud-mlp-wide .*\| (256|1024) \|/.test(l))
      .map((l) => Number(l.split('|')[6]!.trim()));
    expect(ratios).toHaveLength(2);
    expect([quoted![1], quoted![2]]).toEqual([Math.min(...ratios).toFixed(2), Math.max(...ratios).toFixed(2)]);
  });
});
