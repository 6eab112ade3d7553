/**
 * The attacks of the safety issue, through the HTTP API of a real `sluice serve`: each is
 * refused or contained, and the server keeps answering /healthz within a second.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServerProcess, type ServerProcess } from './server-process.js';

let server: ServerProcess;
let root: string;
let dataDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-sandbox-e2e-'));
  dataDir = join(root, 'data');
  const port = await freePort();
  server = await startServerProcess(['bin/sluice.js', 'serve', '--port', String(port), '--data', dataDir], port);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

async function sql(text: string, url = server.url): Promise<{ status: number; body: { error?: { code: string; message: string; hint?: string } } & Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: text }) });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

interface QueryJson {
  id: string;
  status: string;
  deadLetters: number;
}

async function queries(url = server.url): Promise<QueryJson[]> {
  return ((await (await fetch(`${url}/v1/queries`)).json()) as { queries: QueryJson[] }).queries;
}

/** The slowest /healthz answer seen while `until` is false (at most `ms`). */
async function healthWhile(until: () => Promise<boolean>, ms = 15_000): Promise<number> {
  let worst = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t = Date.now();
    const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    worst = Math.max(worst, Date.now() - t);
    if (await until()) return worst;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the condition did not become true in time');
}

const ATTACKS: Record<string, string> = {
  exec: 'return process.getBuiltinModule("child_process").execSync("id").toString()',
  req: 'return require("fs").readFileSync("/etc/passwd", "utf8")',
  imp: 'return import("node:child_process")',
  exits: 'process.exit(7)',
  net: 'return fetch("http://127.0.0.1:9")',
  spin: 'while (true) {}',
  bomb: 'let a = []; for (;;) a.push(new Array(1e6))',
  fill: 'let a = []; for (;;) a.push(new Array(1e6).fill(0))',
  escape: "return this.constructor.constructor('return process')().mainModule.require('child_process').execSync('id').toString()",
  pollute: 'Object.prototype.polluted = "yes"; return "x"',
};

describe('hostile SQL against sluice serve', () => {
  it('contains every function attack in a running view; the server stays healthy', async () => {
    const fns = Object.entries(ATTACKS)
      .map(([name, body]) => `CREATE FUNCTION ${name}(v DOUBLE) RETURNS STRING LANGUAGE javascript AS '${body.replace(/'/g, "''")}';`)
      .join('\n');
    const created = await sql(`CREATE STREAM s (id STRING, v DOUBLE) WITH (partitions = 1);\n${fns}`);
    expect(created.status).toBe(200);
    const cols = Object.keys(ATTACKS)
      .map((n) => `${n}(v) AS ${n}_out`)
      .join(', ');
    expect((await sql(`CREATE MATERIALIZED VIEW hostile AS SELECT id, ${cols} FROM s; INSERT INTO s VALUES ('a', 1), ('b', 2);`)).status).toBe(200);
    const worst = await healthWhile(async () => (await queries()).find((q) => q.id === 'view_hostile')!.deadLetters >= 2);
    expect(worst).toBeLessThan(1000);
    expect((await queries()).find((q) => q.id === 'view_hostile')).toMatchObject({ status: 'running', deadLetters: 2 });
    expect(server.child.exitCode).toBeNull();
    // Still serving SQL; the pollution stayed inside its sandbox.
    const shown = await sql('SHOW FUNCTIONS');
    expect(shown.status).toBe(200);
    expect(JSON.stringify(shown.body)).not.toContain('polluted');
  }, 60_000);

  it('refuses module functions without --trusted-functions, before the module runs', async () => {
    const marker = join(root, 'module-ran');
    const mod = join(root, 'evil.mjs');
    await writeFile(mod, `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x'); export default () => 1;\n`);
    const r = await sql(`CREATE FUNCTION evil(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript WITH (module = '${mod}')`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'UNSUPPORTED', hint: expect.stringContaining('--trusted-functions') });
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses /dev/zero and any path outside the allowed folders, saying nothing about them', async () => {
    const sig = 'INPUT (x ARRAY<FLOAT>(30)) OUTPUT (y FLOAT)';
    const t = Date.now();
    const zero = await sql(`CREATE MODEL z ${sig} WITH (path = '/dev/zero')`);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(zero.status).toBe(400);
    const answers = await Promise.all(['/etc/passwd', '/etc/no-such-file', '/etc', '/dev/zero'].map(async (p) => (await sql(`CREATE MODEL z ${sig} WITH (path = '${p}')`)).body.error!.message.replace(p, 'P')));
    expect(new Set(answers)).toEqual(new Set(["model 'z': 'P' is not inside a folder files may be read from"]));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('sluice serve --no-start-queries', () => {
  it('opens the data folder without running its views; DROP works and a normal start runs the rest', async () => {
    await sql('CREATE MATERIALIZED VIEW calm AS SELECT id, v FROM s');
    await server.stop();
    const port = await freePort();
    server = await startServerProcess(['bin/sluice.js', 'serve', '--port', String(port), '--data', dataDir, '--no-start-queries'], port);
    expect(server.output()).toContain('--no-start-queries');
    expect(new Set((await queries()).map((q) => `${q.id}:${q.status}`))).toEqual(new Set(['view_hostile:not_started', 'view_calm:not_started']));
    expect((await sql('DROP MATERIALIZED VIEW hostile')).status).toBe(200);
    await server.stop();
    const again = await freePort();
    server = await startServerProcess(['bin/sluice.js', 'serve', '--port', String(again), '--data', dataDir], again);
    expect((await queries()).map((q) => `${q.id}:${q.status}`)).toEqual(['view_calm:running']);
  }, 90_000);
});
