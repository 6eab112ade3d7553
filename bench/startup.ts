/**
 * Start-up of the built command line (`npm run bench -- startup`): wall-clock time of
 * `sluice --help`, of `sluice explain` on queries/schema.sql, and of `sluice serve` until
 * /healthz answers on an empty data folder, each a median of several runs of `node bin/sluice.js`
 * after `npm run build`. The baseline is `node -e 0` timed the same way: what any Node command
 * costs on this machine. The CPU time of each process (user + system, read at its exit) is shown
 * beside it, since wall time on a shared machine includes waiting for a core.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ms, ratio, section, spread, type Section } from './util.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CPU_HOOK = join(ROOT, 'bench', 'cpu-at-exit.cjs');

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

interface Case {
  readonly name: string;
  readonly command: string;
  readonly target?: number;
  run(): Promise<Sample>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * Spawns `node args...` with the CPU hook; `ready` (if given) is polled until true, then the
 * process is sent SIGTERM. Wall time runs from spawn to exit, or to `ready` when given.
 */
async function timed(args: readonly string[], ready?: () => Promise<boolean>): Promise<Sample> {
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-bench-startup-'));
  const cpuFile = join(scratch, 'cpu');
  const env = { ...process.env, NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require ${CPU_HOOK}`.trim(), SLUICE_BENCH_CPU_FILE: cpuFile };
  const t0 = performance.now();
  const child = spawn(process.execPath, [...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let wallMs: number;
  if (ready !== undefined) {
    let alive = true;
    void exited.then(() => (alive = false));
    for (;;) {
      if (!alive) throw new Error(`exited before it was ready: ${stderr.trim()}`);
      if (await ready()) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    wallMs = performance.now() - t0;
    child.kill('SIGTERM');
    await exited;
  } else {
    const code = await exited;
    wallMs = performance.now() - t0;
    if (code !== 0) throw new Error(`exit code ${code}: ${stderr.trim()}`);
  }
  let cpuMs = NaN;
  try {
    cpuMs = Number(readFileSync(cpuFile, 'utf8'));
  } catch {
    // the process ended without its exit hook (killed); its CPU time is unknown
  }
  rmSync(scratch, { recursive: true, force: true });
  return { wallMs, cpuMs };
}

export async function benchStartup(opts: { runs: number }): Promise<Section[]> {
  const { spawnSync } = await import('node:child_process');
  const built = spawnSync(process.execPath, ['scripts/dist.mjs', 'ensure'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const explainSql = 'SELECT tx_id, amount FROM tx WHERE amount > 10';
  const cases: Case[] = [
    { name: 'baseline', command: 'node -e 0', run: () => timed(['-e', '0']) },
    { name: 'sluice --help', command: 'sluice --help', target: 300, run: () => timed(['bin/sluice.js', '--help']) },
    {
      name: 'sluice explain',
      command: `sluice explain "${explainSql}" --file queries/schema.sql`,
      target: 800,
      run: () => timed(['bin/sluice.js', 'explain', explainSql, '--file', 'queries/schema.sql']),
    },
    {
      name: 'sluice serve until /healthz answers',
      command: 'sluice serve --data EMPTY --port P',
      target: 1000,
      run: async () => {
        const port = await freePort();
        const data = mkdtempSync(join(tmpdir(), 'sluice-bench-serve-'));
        try {
          return await timed(['bin/sluice.js', 'serve', '--data', data, '--port', String(port)], () => healthy(port));
        } finally {
          rmSync(data, { recursive: true, force: true });
        }
      },
    },
  ];
  const loadBefore = loadavg()[0]!;
  const s = section(`Start-up of the built command line (median of ${opts.runs} runs)`, [
    'command', 'wall ms (median)', 'runs (min–max)', 'CPU ms (median)', 'vs node -e 0 (wall)', 'target',
  ]);
  let baseline = NaN;
  for (const c of cases) {
    const samples: Sample[] = [];
    await c.run(); // warm the file cache
    for (let i = 0; i < opts.runs; i++) samples.push(await c.run());
    const wall = median(samples.map((x) => x.wallMs));
    const cpu = median(samples.map((x) => x.cpuMs).filter((x) => Number.isFinite(x)));
    if (c.name === 'baseline') baseline = wall;
    const target = c.target === undefined ? '—' : `≤ ${c.target} ms: ${wall <= c.target ? 'met' : 'NOT met'}`;
    s.rows.push([c.command, ms(wall), spread(samples.map((x) => x.wallMs), ms), ms(cpu), ratio(wall / baseline), target]);
  }
  s.notes.push(
    `Machine load during the run: 1-minute load average ${loadBefore.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end, on ${cpus().length} cores; when it is above the core count, wall times include waiting for a core and the CPU column is the figure to compare.`,
    'Each command is `node bin/sluice.js ...` on the build in dist/ (`npm run build` first), spawned from the benchmark; wall time runs from spawn to exit, or for serve until GET /healthz first answers 200 (polled every 5 ms) on a fresh empty data folder. One unmeasured run first warms the file cache.',
    'CPU ms is the process\'s user + system time read at its exit (serve: after SIGTERM, so its shutdown is included); on a shared machine it is the steadier figure, since wall time also counts waiting for a core.',
    'What start-up cost and what cut it: chevrotain\'s module tree (hundreds of lodash-es files, about 0.25 s CPU) is replaced by its single-file build; the lexer and parser are built on first use and without chevrotain\'s definition checks (a test runs them), and each of the parser\'s lookahead decisions is analysed when a parse first reaches it (building the parser took about 150 ms, now about 30); kafkajs loads when a Kafka connector is first used; onnxruntime, the function sandbox and fastify load only where needed (serve, models).',
  );
  return [s];
}
