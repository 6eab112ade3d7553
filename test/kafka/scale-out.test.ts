/**
 * Scale-out: three processes run the same `'scale.out' = true` sink (an updating GROUP BY over a
 * 4-partition topic), sharing the partitions of the input and of the repartition topic through
 * two consumer groups. One is SIGKILLed while input keeps arriving; its partitions move to the
 * others, which restore the keyed state from the changelog topic. A fourth process with an empty
 * data folder then joins and takes partitions over, again from the changelog alone. The
 * committed output (read_committed) must end at exactly the expected aggregate per key, and
 * every key's updates must only grow: an epoch committed twice or state lost would break that;
 * records that do not decode must reach the dead-letter topic once each.
 * A second case runs 1-second tumbling windows (watermarks cross the repartition topic as
 * markers), and one process kills itself inside a transaction, after sending and before
 * committing: every window of every key must be output exactly once, with its exact aggregate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { produce, readCommitted } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const internal = (sink: string) => [`sluice-sink_${sink}-repartition:4`, `sluice-sink_${sink}-changelog:4`, `sluice-sink_${sink}-dlq:1`];
let mock: KafkaMock;
const dirs: string[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  mock = await startKafkaMock({
    brokers: 1,
    topics: ['s-in:4', 's-out:2', ...internal('s_out'), 'sw-in:4', 'sw-out:2', ...internal('sw_out')],
    groupInitialRebalanceDelayMs: 0,
  });
}, 300_000);

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await mock?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Assignment {
  source: number[];
  keyed: number[];
}

interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<NodeJS.Signals | null>;
  assignment: Assignment;
  stderr(): string;
}

function startWorker(name: string, scenario: string, env: Record<string, string> = {}): Worker {
  const dir = mkdtempSync(join(tmpdir(), `sluice-scale-${name}-`));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/kafka/worker.ts', dir, mock.bootstrap, scenario], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  const w: Worker = { name, child, exited, assignment: { source: [], keyed: [] }, stderr: () => err, ready: Promise.resolve() };
  (w as { ready: Promise<void> }).ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'READY') resolve();
        if (line.startsWith('ASSIGNED ')) w.assignment = JSON.parse(line.slice('ASSIGNED '.length)) as Assignment;
      }
    });
    void exited.then(() => reject(new Error(`worker ${name} exited before READY: ${err}`)));
  });
  w.ready.catch(() => undefined);
  workers.push(w);
  return w;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, pred: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Every partition of both stages is worked on by exactly one of `live`. */
function covered(live: readonly Worker[]): boolean {
  for (const stage of ['source', 'keyed'] as const) {
    const all = live.flatMap((w) => w.assignment[stage]).sort((a, b) => a - b);
    if (JSON.stringify(all) !== '[0,1,2,3]') return false;
  }
  return true;
}

/**
 * SIGKILLs the process with the most keyed partitions while input keeps arriving, and waits
 * until the others work on every partition.
 */
async function killWhileFeeding(live: readonly Worker[], addInput: (n: number) => Promise<void>): Promise<{ victim: Worker; survivors: Worker[] }> {
  const victim = [...live].sort((x, y) => y.assignment.keyed.length - x.assignment.keyed.length)[0]!;
  const feeding = (async () => {
    for (let i = 0; i < 6; i++) {
      await addInput(100);
      await sleep(250);
    }
  })();
  await sleep(400);
  victim.child.kill('SIGKILL');
  await victim.exited;
  await feeding;
  return takeOver(live, victim);
}

/** Waits until every process but `victim` works on every partition. */
async function takeOver(live: readonly Worker[], victim: Worker): Promise<{ victim: Worker; survivors: Worker[] }> {
  const survivors = live.filter((w) => w !== victim);
  await until('the survivors taking over every partition', 60_000, () => covered(survivors));
  return { victim, survivors };
}

interface Input {
  id: number;
  grp: string;
  v: number;
  ts: number;
}

describe('scale-out across processes', () => {
  it('3 processes, one killed, one joining: output exactly once and complete', async () => {
    const inputs: Input[] = [];
    const addInput = async (n: number) => {
      const batch: Input[] = [];
      for (let i = 0; i < n; i++) {
        const id = inputs.length + batch.length;
        batch.push({ id, grp: `g${(id * 7) % 23}`, v: (id % 10) / 10, ts: 1_700_000_000_000 + id });
      }
      inputs.push(...batch);
      await produce(mock.brokers, 's-in', batch.map((r) => ({ key: String(r.id), value: JSON.stringify(r) })));
    };
    const a = startWorker('a', 'scaleout');
    const b = startWorker('b', 'scaleout');
    const c = startWorker('c', 'scaleout');
    await Promise.all([a.ready, b.ready, c.ready]);
    await until('3 processes sharing all partitions', 60_000, () => covered([a, b, c]) && [a, b, c].every((w) => w.assignment.keyed.length > 0));
    await addInput(400);
    await sleep(1500);
    const { victim, survivors } = await killWhileFeeding([a, b, c], addInput);
    await addInput(300);
    // Records that do not decode go to the dead-letter topic, once each.
    const bad = ['not json', '{"id": "seven", "grp": "g1", "v": 0.5, "ts": 1}', '[1, 2]'];
    await produce(mock.brokers, 's-in', bad.map((value, i) => ({ key: `bad${i}`, value })));
    // A new process with an empty data folder joins: partitions move to it with their state.
    const d = startWorker('d', 'scaleout');
    await d.ready;
    await until('the new process taking partitions', 60_000, () => covered([...survivors, d]) && d.assignment.keyed.length > 0);
    await addInput(300);

    const expected = new Map<string, { n: number; s: number; last_id: number }>();
    for (const r of inputs) {
      if (r.v < 0.2) continue;
      const e = expected.get(r.grp) ?? { n: 0, s: 0, last_id: -1 };
      expected.set(r.grp, { n: e.n + 1, s: e.s + r.id, last_id: Math.max(e.last_id, r.id) });
    }
    let latest = new Map<string, { n: number; s: number; last_id: number }>();
    let shrinking: string[] = [];
    let records = 0;
    await until('the committed output to reach the expected aggregates', 90_000, async () => {
      const out = (await readCommitted(mock.brokers, 's-out', 0, 20_000)).sort((x, y) => x.partition - y.partition || x.offset - y.offset);
      records = out.length;
      latest = new Map();
      shrinking = [];
      for (const r of out) {
        const row = JSON.parse(r.value ?? '{}') as { grp: string; n: number; s: number; last_id: number };
        const prev = latest.get(row.grp);
        if (prev && row.n <= prev.n) shrinking.push(`${row.grp}: n ${prev.n} then ${row.n} (offset ${r.offset})`);
        latest.set(row.grp, { n: row.n, s: row.s, last_id: row.last_id });
      }
      return [...expected].every(([k, e]) => JSON.stringify(latest.get(k)) === JSON.stringify(e));
    }).catch((err: unknown) => {
      const diff = [...expected].filter(([k, e]) => JSON.stringify(latest.get(k)) !== JSON.stringify(e)).map(([k, e]) => `${k}: expected ${JSON.stringify(e)}, got ${JSON.stringify(latest.get(k))}`);
      throw new Error(`${String(err)}\n${diff.join('\n')}\n${[...survivors, d].map((w) => `${w.name}: ${w.stderr()}`).join('\n')}`);
    });
    console.log(`scale-out: inputs=${inputs.length} keys=${expected.size} output records=${records} killed=${victim.name} non-increasing updates=${shrinking.length}`);
    expect(shrinking).toEqual([]);
    expect(latest.size).toBe(expected.size);
    const letters = (await readCommitted(mock.brokers, 'sluice-sink_s_out-dlq', bad.length, 20_000)).map((r) => JSON.parse(r.value ?? '{}') as { reason: string; row: string; source: string });
    expect(letters.map((l) => l.row).sort()).toEqual([...bad].sort());
    for (const l of letters) expect(l.source).toMatch(/^s-in\/\d@\d+$/);
    expect(letters.find((l) => l.row === 'not json')?.reason).toContain('not valid JSON');
    for (const w of [...survivors, d]) w.child.kill('SIGTERM');
    await Promise.all([...survivors, d].map((w) => w.exited));
  }, 300_000);

  it('windows: 3 processes, one dying inside a transaction: every window of every key exactly once', async () => {
    const BASE = 1_700_000_000_000;
    const inputs: Input[] = [];
    const addInput = async (n: number) => {
      const batch: Input[] = [];
      for (let i = 0; i < n; i++) {
        const id = inputs.length + batch.length;
        batch.push({ id, grp: `g${(id * 7) % 5}`, v: (id % 10) / 10, ts: BASE + id * 10 });
      }
      inputs.push(...batch);
      await produce(mock.brokers, 'sw-in', batch.map((r) => ({ key: String(r.id), value: JSON.stringify(r) })));
    };
    // wc kills itself inside a transaction (records sent, not committed) on its 40th commit: the
    // next owner of each of its partitions must abort that transaction before anyone reads on.
    const victim = startWorker('wc', 'scalewindow', { SLUICE_CRASH_AT: 'before-commit', SLUICE_CRASH_AFTER: '40' });
    const live = [startWorker('wa', 'scalewindow'), startWorker('wb', 'scalewindow'), victim];
    await Promise.all(live.map((w) => w.ready));
    await until('3 processes sharing all partitions', 60_000, () => covered(live) && live.every((w) => w.assignment.keyed.length > 0));
    let killedByUs = false;
    const timer = setTimeout(() => {
      killedByUs = true;
      victim.child.kill('SIGKILL');
    }, 30_000);
    for (let i = 0; i < 100 && victim.child.exitCode === null && victim.child.signalCode === null; i++) {
      await addInput(50);
      await sleep(100);
    }
    expect(await victim.exited).toBe('SIGKILL');
    clearTimeout(timer);
    expect(killedByUs).toBe(false);
    const { survivors } = await takeOver(live, victim);
    await addInput(500);
    // One late-enough event per input partition closes every window holding real rows.
    const last = inputs[inputs.length - 1]!.ts;
    await produce(mock.brokers, 'sw-in', [0, 1, 2, 3].map((p) => ({ partition: p, value: JSON.stringify({ id: -1, grp: 'flush', v: 1, ts: last + 5000 }) })));

    const expected = new Map<string, { n: number; s: number }>();
    for (const r of inputs) {
      if (r.v < 0.2) continue;
      const k = `${Math.floor((r.ts - BASE) / 1000)}/${r.grp}`;
      const e = expected.get(k) ?? { n: 0, s: 0 };
      expected.set(k, { n: e.n + 1, s: e.s + r.id });
    }
    const seen = new Map<string, { n: number; s: number }[]>();
    await until('every window in the committed output', 90_000, async () => {
      const out = await readCommitted(mock.brokers, 'sw-out', 0, 20_000);
      seen.clear();
      for (const r of out) {
        const row = JSON.parse(r.value ?? '{}') as { window_start: number; grp: string; n: number; s: number };
        if (row.grp === 'flush') continue;
        const k = `${Math.floor((row.window_start - BASE) / 1000)}/${row.grp}`;
        seen.set(k, [...(seen.get(k) ?? []), { n: row.n, s: row.s }]);
      }
      return [...expected.keys()].every((k) => seen.has(k));
    }).catch((err: unknown) => {
      throw new Error(`${String(err)}: missing ${[...expected.keys()].filter((k) => !seen.has(k)).join(', ')}\n${survivors.map((w) => `${w.name}: ${w.stderr()}`).join('\n')}`);
    });
    const repeated = [...seen].filter(([, v]) => v.length > 1).map(([k, v]) => `${k} ${JSON.stringify(v)} expected ${JSON.stringify(expected.get(k))}`);
    const wrong = [...expected].filter(([k, e]) => JSON.stringify(seen.get(k)?.[0]) !== JSON.stringify(e)).map(([k, e]) => `${k}: expected ${JSON.stringify(e)}, got ${JSON.stringify(seen.get(k))}`);
    const extra = [...seen.keys()].filter((k) => !expected.has(k));
    console.log(`scale-out windows: inputs=${inputs.length} windows=${expected.size} killed=${victim.name} repeated=${repeated.length} wrong=${wrong.length}`);
    expect(repeated).toEqual([]);
    expect(wrong).toEqual([]);
    expect(extra).toEqual([]);
    for (const w of survivors) w.child.kill('SIGTERM');
    await Promise.all(survivors.map((w) => w.exited));
  }, 300_000);
});
