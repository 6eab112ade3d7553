/**
 * The benchmark suite: `npm run bench` runs every benchmark, `npm run bench -- predict` (or
 * nexmark, fraud, growth, groupby, kafka, ingest, state, startup; several may be given) runs those whose name contains a filter.
 * Prints one table per benchmark and writes bench/RESULTS.md, replacing only the sections of the
 * benchmarks that ran (the others keep their latest figures); each section ends with the command,
 * date and machine of the run that produced it. Every figure is a median over several runs and
 * comes with a baseline measured in the same process, so the ratios mean more than the absolute
 * numbers on a shared machine.
 *
 * BENCH_QUICK=1 shrinks every size (a smoke run).
 *
 * The process runs with the heap growth limits `sluice serve` and `sluice run` set (see
 * src/engine/heap-growth.ts), so the engine is measured as it serves; the hand-written baselines
 * run in the same process under the same limits.
 *
 * `--profile` records a CPU profile of the main thread while each selected benchmark runs, writes
 * it to bench/profiles/NAME-<time>.cpuprofile (open it in Chrome DevTools or VS Code, or
 * summarise it again with bench/profile-summary.ts) and prints the top frames; RESULTS.md is left
 * alone, since figures measured under the profiler are slower than the real ones.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { limitHeapGrowth } from '../src/engine/heap-growth.js';
import { benchFraud } from './fraud.js';
import { benchGroupBy } from './groupby.js';
import { benchGrowth } from './growth.js';
import { benchIngest } from './ingest.js';
import { benchKafka, benchScaleOut } from './kafka.js';
import { benchNexmark } from './nexmark.js';
import { benchPredict } from './predict.js';
import { profileWhile, summarize, summaryText } from './profile-summary.js';
import { benchStartup } from './startup.js';
import { benchState } from './state.js';
import { reasonOf, section, type Section } from './util.js';

const quick = process.env['BENCH_QUICK'] === '1';
/** BENCH_SCALE multiplies every size (e.g. 3 for q0–q2 at 900k events); the default keeps the suite under about 5 minutes here. */
const scale = Number(process.env['BENCH_SCALE'] ?? 1) > 0 ? Number(process.env['BENCH_SCALE'] ?? 1) : 1;
const size = (full: number, small: number): number => Math.round((quick ? small : full) * scale);

interface Bench {
  readonly name: string;
  run(): Promise<Section[]>;
}

const BENCHES: readonly Bench[] = [
  { name: 'predict', run: () => benchPredict({ rows: size(262_144, 32_768), runs: quick ? 2 : 5, batchSizes: [64, 256, 1024] }) },
  { name: 'nexmark', run: () => benchNexmark({ events: size(300_000, 100_000), windowEvents: size(100_000, 50_000), runs: quick ? 2 : 3, windowRuns: quick ? 1 : 3 }) },
  { name: 'fraud', run: () => benchFraud({ events: size(250_000, 20_000), runs: quick ? 2 : 5, latencySeconds: quick ? 3 : 8 }) },
  { name: 'growth', run: () => benchGrowth({ events: size(50_000, 10_000), viewEvents: size(10_000, 2_000), seconds: quick ? 2 : 4, runs: quick ? 1 : 3 }) },
  { name: 'groupby', run: () => benchGroupBy({ rows: size(200_000, 50_000), keys: 10_000, runs: quick ? 2 : 3 }) },
  { name: 'kafka', run: () => benchKafka(size(40_000, 10_000)) },
  { name: 'ingest', run: () => benchIngest({ rows: size(100_000, 20_000), runs: quick ? 2 : 3, batchSizes: [100, 1000, 10_000], inFlight: 4 }) },
  { name: 'scale-out', run: () => benchScaleOut(size(200_000, 20_000), quick ? 1 : 3) },
  { name: 'startup', run: () => benchStartup({ runs: quick ? 3 : 9 }) },
  {
    name: 'state',
    run: () =>
      benchState({
        keys: (process.env['BENCH_STATE_KEYS'] ?? (quick ? '10000,100000' : '10000,1000000,10000000')).split(',').map(Number),
        rowsFor: (keys) => Math.max(size(2_000_000, 50_000), keys),
        tableRows: size(10_000_000, 200_000),
        lookupRows: size(1_000_000, 100_000),
        restartKeys: size(2_000_000, 200_000),
        distinctRows: size(1_000_000, 100_000),
      }),
  },
];

function render(s: Section): string {
  const t = new Table({ head: [...s.head], wordWrap: true, style: { head: [], border: [] } });
  for (const r of s.rows) t.push([...r]);
  return `${s.title}\n${t.toString()}${s.notes.length ? `\n${s.notes.map((n) => `  - ${n}`).join('\n')}` : ''}\n`;
}

function markdown(s: Section): string {
  const esc = (x: string) => x.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`## ${s.title}`, '', `| ${s.head.map(esc).join(' | ')} |`, `|${s.head.map(() => '---').join('|')}|`];
  for (const r of s.rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  if (s.notes.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

/** The note that ends each section: which benchmark, and the run that measured it. */
function provenance(bench: string, command: string, date: string, machine: string, seconds: string): string {
  return `Benchmark '${bench}': \`${command}\` on ${date}; ${machine}; took ${seconds} s.`;
}

/** A `## ` section of RESULTS.md and the benchmark that wrote it. */
interface StoredSection {
  readonly bench: string;
  readonly text: string;
}

/**
 * The sections of an existing RESULTS.md. A file written before sections carried their own
 * provenance had one header for all of them; its command, date and machine move into each one.
 */
function storedSections(md: string): StoredSection[] {
  const header = (key: string): string | undefined => new RegExp(`^- ${key}: (.*)$`, 'm').exec(md.split(/^## /m)[0] ?? '')?.[1];
  const command = header('Command')?.replace(/^`|`$/g, '');
  const date = header('Date');
  const machine = header('Machine');
  return md
    .split(/^(?=## )/m)
    .filter((part) => part.startsWith('## '))
    .map((part) => {
      const text = part.trimEnd();
      const note = /^- Benchmark '([^']+)'(?: took ([\d.]+) s\.)?.*$/m.exec(text);
      if (!note) return { bench: '', text };
      const bench = note[1]!;
      const old = note[2];
      if (old === undefined || command === undefined || date === undefined || machine === undefined) return { bench, text };
      return { bench, text: text.replace(note[0], `- ${provenance(bench, command, date, machine, old)}`) };
    });
}

/** Runs `fn` under the V8 sampling profiler of this thread; writes the profile and prints its summary. */
async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const { value, profile } = await profileWhile(fn);
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`CPU profile of '${name}' (main thread; model sessions run in worker threads and are not in it): ${file}`);
  console.log(summaryText(summarize(profile, 15)));
  console.log('');
  return value;
}

async function main(): Promise<void> {
  limitHeapGrowth();
  const profile = process.argv.includes('--profile');
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-')).map((a) => a.toLowerCase());
  const selected = BENCHES.filter((b) => filters.length === 0 || filters.some((f) => b.name.includes(f)));
  if (selected.length === 0) {
    console.error(`no benchmark matches ${filters.join(', ')}; benchmarks: ${BENCHES.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const started = new Date();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}`;
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}${quick ? ' (BENCH_QUICK=1)' : ''}${scale !== 1 ? ` (BENCH_SCALE=${scale})` : ''}`;
  console.log(`Sluice benchmarks — ${machine}\n`);
  const sections: { bench: string; out: Section[] }[] = [];
  for (const b of selected) {
    const t0 = performance.now();
    let out: Section[];
    try {
      out = profile ? await profiled(b.name, () => b.run()) : await b.run();
    } catch (err) {
      const s = section(`${b.name}: failed`, ['benchmark', 'reason']);
      s.rows.push([b.name, reasonOf(err)]);
      out = [s];
      if (err instanceof Error && err.stack) console.error(err.stack);
    }
    const secs = (performance.now() - t0) / 1000;
    for (const s of out) {
      s.notes.push(provenance(b.name, command, started.toISOString(), machine, secs.toFixed(1)));
      console.log(render(s));
    }
    sections.push({ bench: b.name, out });
  }
  const total = (Date.now() - started.getTime()) / 1000;
  if (profile) {
    console.log(`RESULTS.md not written: figures measured under the profiler (${total.toFixed(0)} s in all)`);
    return;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, 'RESULTS.md');
  // Benchmarks that did not run keep their sections; the order follows BENCHES.
  const stored = existsSync(file) ? storedSections(readFileSync(file, 'utf8')) : [];
  const ran = new Map(sections.map((x) => [x.bench, x.out.map((s) => markdown(s).trimEnd())]));
  const known = new Set(BENCHES.map((b) => b.name));
  const body = [
    ...BENCHES.flatMap((b) => ran.get(b.name) ?? stored.filter((x) => x.bench === b.name).map((x) => x.text)),
    ...stored.filter((x) => !known.has(x.bench)).map((x) => x.text),
  ];
  const md = [
    '# Sluice benchmark results',
    '',
    '- Figures are medians over several runs on a shared machine; read the ratios against the baselines measured in the same run rather than the absolute numbers.',
    "- Each section ends with the command, date and machine of the run that measured it: `npm run bench -- NAME` rewrites only benchmark NAME's sections.",
    '',
    body.join('\n\n'),
    '',
  ].join('\n');
  writeFileSync(file, md);
  console.log(`wrote ${file} (${total.toFixed(0)} s in all)`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
