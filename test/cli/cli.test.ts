import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, startServerProcess } from '../server/server-process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/sluice.js ...args`; `until` sends SIGINT once stdout matches it. */
function sluice(args: readonly string[], until?: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/sluice.js', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (until !== undefined && !interrupted && until.test(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (until !== undefined && !interrupted && until.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  await writeFile(join(dir, 'schema.sql'), "CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE) WITH (key = 'card_id');\nCREATE TABLE cards (card_id STRING PRIMARY KEY, owner STRING);\n");
  await writeFile(
    join(dir, 'run.sql'),
    "CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE) WITH (key = 'card_id');\nINSERT INTO tx VALUES ('t1', 'c1', 50.0), ('t2', 'c2', 5.0);\nSHOW STREAMS;\nSELECT tx_id, amount FROM tx WHERE amount > 10;\n",
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sluice command line', () => {
  it('lists its commands, each with --help', async () => {
    const top = await sluice(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['serve', 'shell', 'run', 'explain', 'bench']) expect(top.stdout).toContain(cmd);
    const serve = await sluice(['serve', '--help']);
    expect(serve.stdout).toMatch(/--port <port>[\s\S]*--host <host>[\s\S]*--data <dir>[\s\S]*--token <token>[\s\S]*--demo/);
    expect((await sluice(['shell', '--help'])).stdout).toContain('--url <url>');
    expect((await sluice(['run', '--help'])).stdout).toContain('<file>');
    expect((await sluice(['explain', '--help'])).stdout).toContain('--file <schema.sql>');
    expect((await sluice(['bench', '--help'])).stdout).toContain('npm run bench');
  });

  it('never prints the token from the environment, and refuses an empty one at start-up', async () => {
    const help = await sluice(['serve', '--help'], undefined, { SLUICE_TOKEN: 'very-secret-value' });
    expect(help.stdout + help.stderr).not.toContain('very-secret-value');
    const empty = await sluice(['serve', '--port', '0', '--data', join(dir, 'data-empty-token')], undefined, { SLUICE_TOKEN: '' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('SLUICE_TOKEN gives an empty token');
    const flag = await sluice(['serve', '--port', '0', '--token', '', '--data', join(dir, 'data-empty-token')]);
    expect(flag.code).toBe(1);
  });

  it('refuses a bad port', async () => {
    const r = await sluice(['serve', '--port', 'eighty']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('port');
  });

  it('explains a query after running a schema file', async () => {
    const r = await sluice(['explain', 'SELECT tx_id FROM tx JOIN cards WHERE amount > 1', '--file', join(dir, 'schema.sql')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/StreamLookupJoinExec[\s\S]*SourceExec: stream=tx/);
  });

  it('shows an explain error with the caret and exits 1', async () => {
    const r = await sluice(['explain', 'SELECT tx_id FROM tx WHERE amout > 1', '--file', join(dir, 'schema.sql')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ERROR [UNKNOWN_COLUMN]: unknown column 'amout'");
    expect(r.stderr).toMatch(/LINE 1: .*WHERE amout > 1\n +\^{5}/);
  });

  it('runs a file: tables for statements, live rows for a push query until Ctrl-C', async () => {
    const r = await sluice(['run', join(dir, 'run.sql'), '--data', join(dir, 'data'), '--from', 'earliest'], /t1 +\| 50/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stream tx created');
    expect(r.stdout).toMatch(/ name \| connector \| key +\| watermark\n/);
    expect(r.stdout).toMatch(/-- push query \S+\ntx_id +\| amount/);
    expect(r.stdout).not.toContain('t2 ');
    expect(r.stderr).toMatch(/in \d+ .*out \d+ .*dlq 0/);
    expect(r.stderr).toContain('interrupted');
  });

  it('runs a file with --bounded and ends by itself', async () => {
    const r = await sluice(['run', join(dir, 'run.sql'), '--data', join(dir, 'data2'), '--bounded']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/t1 +\| 50/);
  });

  it('reports a missing file', async () => {
    const r = await sluice(['run', join(dir, 'nope.sql')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nope.sql');
  });

  it('names the folder in use and what to do when a server holds the data folder, and runs the file on that server with --url', async () => {
    const data = join(dir, 'data-locked');
    const port = await freePort();
    const server = await startServerProcess(['bin/sluice.js', 'serve', '--port', String(port), '--data', data], port);
    try {
      const locked = await sluice(['run', join(dir, 'run.sql'), '--data', data]);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toContain(`ERROR [STATE_ERROR]: the data folder ${data} is in use by another process`);
      expect(locked.stderr).toMatch(/HINT: .*--data DIR.*sluice run FILE --url/);
      expect(locked.stderr).not.toMatch(/IO error|Resource temporarily unavailable/);

      const remote = await sluice(['run', join(dir, 'run.sql'), '--url', server.url, '--from', 'earliest'], /t1 +\| 50/);
      expect(remote.stdout).toContain('stream tx created');
      expect(remote.stdout).toContain('inserted 2 row(s) into stream tx');
      expect(remote.stdout).toMatch(/ name \| connector \| key +\| watermark\n/);
      expect(remote.stdout).toMatch(/-- push query \S+\ntx_id +\| amount/);
      expect(remote.stdout).not.toContain('t2 ');

      const again = await sluice(['run', join(dir, 'run.sql'), '--url', server.url]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('ERROR [ALREADY_EXISTS]');
      expect(again.stderr).toMatch(/LINE 1: CREATE STREAM tx/);

      // While its push query runs, a remote run shows the query's progress on stderr, as GET /v1/queries lists it.
      await writeFile(join(dir, 'watch.sql'), 'SELECT tx_id FROM tx;\n');
      const watched = await sluice(['run', join(dir, 'watch.sql'), '--url', server.url], /push_\d+: in \d+/);
      expect(watched.stdout).toMatch(/-- push query push_\d+/);
      expect(watched.stderr).toMatch(/push_\d+: in \d+ \(\d+\/s\) out \d+ \(\d+\/s\) dlq 0/);
    } finally {
      await server.stop();
    }
  });
});
