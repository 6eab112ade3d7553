/**
 * CPU time of the fraud pipeline against the hand-written loop, in one process, for a loaded
 * machine where wall-clock rates say little: user + system time of every thread
 * (process.cpuUsage) per event, for the loop in memory, the loop with RocksDB, the view and the
 * push query over the same bounded datagen stream.
 *   npx tsx --expose-gc bench/fraud-cpu.ts [events] [runs]
 * Also prints the main thread's share (from /proc, Linux). FRAUD_CPU_PROFILE=mem|db|view|push
 * profiles that measurement's last run and prints the summary (FRAUD_CPU_TOP lines; the profile
 * itself goes to the file FRAUD_CPU_PROFILE_OUT names, if set);
 * FRAUD_CPU_THREADS=1 (or =tid, one line per thread) prints CPU ticks per thread of each run.
 */
import { txEvent } from '../src/connectors/datagen.js';
import { CARDS, runView, SELECT, setup } from './fraud.js';
import { HandFraud, runHandFraud } from './handwritten.js';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { profileWhile, summarize, summaryText } from './profile-summary.js';
import { gc, median, settle, tempEngine, timeBounded } from './util.js';

const events = Number(process.argv[2] ?? 20_000);
const runs = Number(process.argv[3] ?? 3);

const profileWhat = process.env['FRAUD_CPU_PROFILE'];

/** CPU time of the main thread in microseconds (/proc schedstat, in ns; Linux only, else 0). */
function mainCpuUs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return 0;
  }
}
/** CPU ticks per thread name. */
function threadTicks(): Map<string, number> {
  const m = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = f.slice(f.indexOf('(') + 1, f.lastIndexOf(')')) + (tid === String(process.pid) ? ' (main)' : process.env['FRAUD_CPU_THREADS'] === 'tid' ? `:${tid}` : '');
      const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
      m.set(name, (m.get(name) ?? 0) + Number(parts[11]) + Number(parts[12]));
    } catch {
      // the thread ended
    }
  }
  return m;
}
const threads = (): string => [...threadTicks()].map(([k, v]) => `${k}=${v}`).join(' ');

const mainShare: Record<string, number[]> = {};

/** CPU microseconds per event of `fn` (all threads of the process). */
async function cpuPerEvent(what: string, fn: () => Promise<unknown>): Promise<number> {
  gc();
  await settle();
  const t0 = mainCpuUs();
  const before = threadTicks();
  const c0 = process.cpuUsage();
  if (profileWhat === what && (mainShare[what]?.length ?? 0) === runs - 1) {
    const { profile } = await profileWhile(fn);
    const out = process.env['FRAUD_CPU_PROFILE_OUT'];
    if (out) writeFileSync(out, JSON.stringify(profile));
    console.log(summaryText(summarize(profile, Number(process.env['FRAUD_CPU_TOP'] ?? 25))));
  } else await fn();
  const c = process.cpuUsage(c0);
  const total = (c.user + c.system) / events;
  if (process.env['FRAUD_CPU_THREADS']) console.log(what, [...threadTicks()].map(([k, v]) => `${k}=${v - (before.get(k) ?? 0)}`).filter((x) => !x.endsWith('=0')).join(' '));
  (mainShare[what] ??= []).push((mainCpuUs() - t0) / events);
  return total;
}

const hand = await HandFraud.open(CARDS);
const handMem: number[] = [];
const handDb: number[] = [];
const view: number[] = [];
const push: number[] = [];
try {
  await runHandFraud(hand, txEvent, Math.min(events, 5000), false);
  for (let r = 0; r < runs; r++) {
    handMem.push(await cpuPerEvent('mem', () => runHandFraud(hand, txEvent, events, false)));
    handDb.push(await cpuPerEvent('db', () => runHandFraud(hand, txEvent, events, true)));
  }
} finally {
  await hand.close();
}
const te = await tempEngine(500);
try {
  await setup(te.engine, events);
  await timeBounded(te.engine, `${SELECT('tx')}\nLIMIT 2000`);
  for (let r = 0; r < runs; r++) {
    view.push(await cpuPerEvent('view', () => runView(te.engine, `fraud_cpu_${r}`, events)));
    push.push(
      await cpuPerEvent('push', async () => {
        const p = await timeBounded(te.engine, SELECT('tx'));
        if (p.rows !== events) throw new Error(`push query got ${p.rows} rows, expected ${events}`);
      }),
    );
  }
} finally {
  await te.close();
}
const f = (xs: number[]) => `${median(xs).toFixed(2)} µs/event (runs ${xs.map((x) => x.toFixed(2)).join(', ')})`;
console.log(`events ${events}, runs ${runs}`);
console.log(`hand-written loop, in memory: ${f(handMem)}`);
console.log(`hand-written loop + RocksDB:  ${f(handDb)}`);
console.log(`materialized view:            ${f(view)}`);
console.log(`push query:                   ${f(push)}`);
for (const [k, xs] of Object.entries(mainShare)) console.log(`main thread ${k}: ${median(xs).toFixed(2)} µs/event`);
console.log(`threads now: ${threads()}`);
console.log(`CPU ratio loop+RocksDB / view (>= 1 means the view is cheaper): ${(median(handDb) / median(view)).toFixed(2)}`);
console.log(`CPU ratio in-memory loop / push:                                 ${(median(handMem) / median(push)).toFixed(2)}`);
