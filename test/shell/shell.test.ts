import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, startServerProcess, type ServerProcess } from '../server/server-process.js';
import { requireTmux, TmuxSession } from './tmux.js';

let server: ServerProcess;
let tmux: TmuxSession;
let dir: string;

/** Lines printed after the last occurrence of `marker`. */
function after(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker) + marker.length);
}

beforeAll(async () => {
  requireTmux();
  dir = await mkdtemp(join(tmpdir(), 'sluice-shell-'));
  const port = await freePort();
  server = await startServerProcess(['--import', 'tsx', 'test/shell/fake-server.ts', String(port)], port);
  const history = join(dir, 'history');
  tmux = new TmuxSession(`SLUICE_HISTORY=${history} ${process.execPath} bin/sluice.js shell --url ${server.url}`, REPO_ROOT);
  await tmux.waitFor(/sluice> $/m, 30_000);
}, 60_000);

afterAll(async () => {
  tmux?.kill();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sluice shell in a terminal', () => {
  it('reads a statement over several lines and prints a table', async () => {
    tmux.line('SELECT card_id,');
    await tmux.waitFor(/^ {5}-> $/m);
    tmux.line('  score FROM scores;');
    const screen = await tmux.waitFor(/\(2 rows\)\nsluice> $/m);
    expect(after(screen, 'score FROM scores;\n')).toMatch(/^ card_id \| score\n---------\+-------\n card-1 {2}\| {2}0\.25\n card-2 {2}\| {2}0\.97\n\(2 rows\)/);
  });

  it('prints errors with the line and a caret under the offending name', async () => {
    tmux.line('SELECT *');
    await tmux.waitFor(/-> $/m);
    tmux.line('FROM scroes;');
    const screen = await tmux.waitFor(/HINT: did you mean 'scores'\?/);
    expect(after(screen, 'FROM scroes;\n')).toMatch(/^ERROR \[UNKNOWN_RELATION\]: unknown relation 'scroes'\nLINE 2: FROM scroes\n {13}\^{6}\n/);
  });

  it('completes catalog names with Tab, including names created in the session', async () => {
    tmux.type('SELECT * FROM sco');
    tmux.keys('Tab');
    await tmux.waitFor(/sluice> SELECT \* FROM scores$/m);
    tmux.line(';');
    await tmux.waitFor(/SELECT \* FROM scores;\n card_id/);

    tmux.line('CREATE STREAM pageviews (url STRING);');
    await tmux.waitFor(/created pageviews\nsluice> $/m);
    tmux.type('SELECT * FROM pagev');
    tmux.keys('Tab');
    await tmux.waitFor(/sluice> SELECT \* FROM pageviews$/m);
    tmux.keys('C-c');
    await tmux.waitFor(/\^C\nsluice> $/m);
  });

  it('streams a push query live until Ctrl-C, which cancels it on the server', async () => {
    tmux.line('SELECT seq, label FROM ticks;');
    await tmux.waitFor(/-- push query (q\d+); press Ctrl-C to stop/);
    const live = await tmux.waitFor(/^2 +\| tick-2$/m);
    const id = /-- push query (q\d+)/.exec(after(live, 'FROM ticks;'))?.[1] ?? '';
    const running = (await (await fetch(`${server.url}/v1/queries`)).json()) as { queries: { id: string }[] };
    expect(running.queries.map((q) => q.id)).toContain(id);
    tmux.keys('C-c');
    await tmux.waitFor(new RegExp(`-- cancelled query ${id} after \\d+ rows\\nsluice> $`, 'm'));
    await new Promise((r) => setTimeout(r, 300));
    const left = (await (await fetch(`${server.url}/v1/queries`)).json()) as { queries: { id: string }[] };
    expect(left.queries.map((q) => q.id)).not.toContain(id);
  });

  it('PREDICT scores one row now and prints its outputs and version', async () => {
    tmux.line('PREDICT fraud (ARRAY[0.1, 0.2, 0.3]);');
    const screen = await tmux.waitFor(/\(1 row\)\nsluice> $/m);
    expect(after(screen, 'PREDICT fraud (ARRAY[0.1, 0.2, 0.3]);\n')).toMatch(/^ score \| version\n-------\+---------\n {3}0\.5 \| {7}1\n\(1 row\)/);
  });

  it('marks updating rows with their op', async () => {
    tmux.line('SELECT k, n FROM counts;');
    const screen = await tmux.waitFor(/^\+U {2}a +\| 2$/m);
    expect(screen).toMatch(/^op {2}k +\| n$/m);
    expect(screen).toMatch(/^\+I {2}a +\| 1$/m);
    expect(screen).toMatch(/^-U {2}a +\| 1$/m);
    tmux.keys('C-c');
    await tmux.waitFor(/-- cancelled query q\d+ after \d+ rows\nsluice> $/m);
  });

  it('exits on Ctrl-D and keeps multi-line statements in the history file', async () => {
    tmux.keys('C-d');
    const end = Date.now() + 10_000;
    while (!tmux.paneDead() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(tmux.paneDead()).toBe(true);
    const history = await readFile(join(dir, 'history'), 'utf8');
    expect(history.split('\n')).toEqual(expect.arrayContaining(['SELECT card_id, score FROM scores;', 'SELECT * FROM scroes;', 'SELECT seq, label FROM ticks;']));
  });
});
