/**
 * The benchmark suite: `npm run bench` runs every benchmark, `npm run bench -- predict` (or
 * nexmark, fraud, groupby, kafka; several may be given) runs those whose name contains a filter.
 * Prints one table per benchmark and writes bench/RESULTS.md. Every figure is a median over
 * several runs and comes with a baseline measured in the same process, so the ratios mean more
 * than the absolute numbers on a shared machine.
 *
 * BENCH_QUICK=1 shrinks every size (a smoke run).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { benchFraud } from './fraud.js';
import { benchGroupBy } from './groupby.js';
import { benchKafka } from './kafka.js';
import { benchNexmark } from './nexmark.js';
import { benchPredict } from './predict.js';
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
  { name: 'predict', run: () => benchPredict({ rows: size(65_536, 16_384), runs: quick ? 2 : 5, batchSizes: [64, 256, 1024] }) },
  { name: 'nexmark', run: () => benchNexmark({ events: size(300_000, 100_000), windowEvents: size(100_000, 50_000), runs: quick ? 2 : 3, windowRuns: quick ? 1 : 3 }) },
  { name: 'fraud', run: () => benchFraud({ events: size(50_000, 20_000), runs: quick ? 2 : 3, latencySeconds: quick ? 3 : 8 }) },
  { name: 'groupby', run: () => benchGroupBy({ rows: size(200_000, 50_000), keys: 10_000, runs: quick ? 2 : 3 }) },
  { name: 'kafka', run: () => benchKafka(size(40_000, 10_000)) },
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

async function main(): Promise<void> {
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
  const sections: Section[] = [];
  for (const b of selected) {
    const t0 = performance.now();
    let out: Section[];
    try {
      out = await b.run();
    } catch (err) {
      const s = section(`${b.name}: failed`, ['benchmark', 'reason']);
      s.rows.push([b.name, reasonOf(err)]);
      out = [s];
      if (err instanceof Error && err.stack) console.error(err.stack);
    }
    const secs = (performance.now() - t0) / 1000;
    for (const s of out) {
      s.notes.push(`Benchmark '${b.name}' took ${secs.toFixed(1)} s.`);
      console.log(render(s));
    }
    sections.push(...out);
  }
  const total = (Date.now() - started.getTime()) / 1000;
  const md = [
    '# Sluice benchmark results',
    '',
    `- Command: \`${command}\``,
    `- Date: ${started.toISOString()}`,
    `- Machine: ${machine}`,
    `- Total time: ${total.toFixed(0)} s`,
    '- Figures are medians over several runs on a shared machine; read the ratios against the baselines measured in the same run rather than the absolute numbers.',
    '',
    ...sections.map(markdown),
  ].join('\n');
  const here = dirname(fileURLToPath(import.meta.url));
  writeFileSync(join(here, 'RESULTS.md'), md);
  console.log(`wrote ${join(here, 'RESULTS.md')} (${total.toFixed(0)} s in all)`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
