/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof` or `npm run bench -- NAME --profile`): self
 * time per function and per file, the largest first, and the inclusive time of project functions.
 * Usage: `npx tsx bench/profile-summary.ts PROFILE.cpuprofile [top]`.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One ranked list of the summary: a label and its share of the sampled time. */
export interface Ranked {
  readonly key: string;
  readonly us: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalUs: number;
  readonly byFunction: readonly Ranked[];
  readonly byFile: readonly Ranked[];
  /** Inclusive time of project (src/) functions: each sample counts once for every distinct one on its stack. */
  readonly inclusive: readonly Ranked[];
}

/** Function name and place; the line is left out where the profile has none (code loaded through tsx reports line 1). */
const frameKey = (name: string, url: string, line: number) => `${name || '(anonymous)'}  ${url}${line > 0 ? `:${line + 1}` : ''}`;
const shortUrl = (u: string) => u.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/(src|bench)\//, '$1/');

/** Summarises a profile; samples taken inside the inspector (the profiler stopping itself and serialising the profile) are left out. */
export function summarize(p: Profile, top = 30): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inInspector = (id: number): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur)?.callFrame.url === 'node:inspector') return true;
    return false;
  };
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    if (!inInspector(id)) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const url = shortUrl(n.callFrame.url) || '(native)';
    const key = frameKey(n.callFrame.functionName, url, n.callFrame.lineNumber);
    fn.set(key, (fn.get(key) ?? 0) + us);
    const pkg = url.startsWith('node_modules/') ? url.split('/').slice(0, url.includes('/@') ? 3 : 2).join('/') : url;
    files.set(pkg, (files.get(pkg) ?? 0) + us);
  }
  const incl = new Map<string, number>();
  p.samples.forEach((id, i) => {
    if (inInspector(id)) return;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n) break;
      const url = shortUrl(n.callFrame.url);
      if (!url.startsWith('src/')) continue;
      const key = frameKey(n.callFrame.functionName, url, n.callFrame.lineNumber);
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
  });
  const rank = (m: Map<string, number>): Ranked[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => ({ key, us, share: total > 0 ? us / total : 0 }));
  return { totalUs: total, byFunction: rank(fn), byFile: rank(files), inclusive: rank(incl) };
}

/** Runs `fn` under the V8 sampling profiler of this thread (200 µs samples) and returns its value and the profile. */
export async function profileWhile<T>(fn: () => Promise<T>): Promise<{ value: T; profile: Profile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const value = await fn();
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    return { value, profile };
  } finally {
    session.disconnect();
  }
}

/** The summary as text: three ranked lists with percentages and milliseconds. */
export function summaryText(s: ProfileSummary): string {
  const show = (title: string, xs: readonly Ranked[]) =>
    [`\n${title} (of ${(s.totalUs / 1000).toFixed(0)} ms sampled)`, ...xs.map((x) => `${(100 * x.share).toFixed(1).padStart(5)}%  ${(x.us / 1000).toFixed(0).padStart(6)} ms  ${x.key}`)].join('\n');
  return [show('Self time by function', s.byFunction), show('Self time by file or package', s.byFile), show('Inclusive time of project (src/) functions', s.inclusive)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx bench/profile-summary.ts PROFILE.cpuprofile [top]');
    process.exit(2);
  }
  console.log(summaryText(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(topArg ?? 30))));
}
