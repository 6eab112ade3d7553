import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, startServerProcess, type ServerProcess } from '../server/server-process.js';
import { requireTmux, TmuxSession } from './tmux.js';

let server: ServerProcess;
let tmux: TmuxSession;
let dir: string;
const TIME = 'Time: \\d+\\.\\d{3} ms';

/** Lines printed after the last occurrence of `marker`. */
function after(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker) + marker.length);
}

function shellCommand(url: string, history: string): string {
  return `SLUICE_HISTORY=${history} ${process.execPath} bin/sluice.js shell --url ${url}`;
}

beforeAll(async () => {
  requireTmux();
  dir = await mkdtemp(join(tmpdir(), 'sluice-shell-'));
  const port = await freePort();
  server = await startServerProcess(['--import', 'tsx', 'test/shell/fake-server.ts', String(port)], port);
  tmux = new TmuxSession(shellCommand(server.url, join(dir, 'history')), REPO_ROOT);
  await tmux.waitFor(/sluice> $/m, 30_000);
}, 60_000);

afterAll(async () => {
  tmux?.kill();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sluice shell in a terminal', () => {
  it('says which server and version it connected to', () => {
    expect(tmux.screen()).toMatch(new RegExp(`^Connected to Sluice 0\\.1\\.0 at ${server.url.replace(/\./g, '\\.')}\\. .*type help for help, exit to leave\\.$`, 'm'));
  });

  it('reads a statement over several lines and prints a table and the time it took', async () => {
    tmux.line('SELECT card_id,');
    await tmux.waitFor(/^ {5}-> $/m);
    tmux.line('  score FROM scores;');
    const screen = await tmux.waitFor(new RegExp(`\\(2 rows\\)\\n${TIME}\\nsluice> $`, 'm'));
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
    await tmux.waitFor(new RegExp(`created pageviews\\n${TIME}\\nsluice> $`, 'm'));
    tmux.type('SELECT * FROM pagev');
    tmux.keys('Tab');
    await tmux.waitFor(/sluice> SELECT \* FROM pageviews$/m);
    tmux.keys('C-c');
    await tmux.waitFor(/\^C\nsluice> $/m);
  });

  it('completes by context: relations after FROM, not models; columns of the statement; models in predict(); keywords on an empty line', async () => {
    tmux.type('SELECT * FROM f');
    tmux.keys('Tab');
    await new Promise((r) => setTimeout(r, 300));
    // 'fraud' is a model: nothing after FROM starts with f.
    expect(tmux.screen()).toMatch(/sluice> SELECT \* FROM f$/m);
    tmux.keys('C-c');
    await tmux.waitFor(/\^C\nsluice> $/m);

    tmux.type('SELECT lab');
    tmux.keys('Tab');
    await tmux.waitFor(/sluice> SELECT label$/m);
    tmux.type(' FROM ticks t WHERE t.s');
    tmux.keys('Tab');
    await tmux.waitFor(/sluice> SELECT label FROM ticks t WHERE t\.seq$/m);
    tmux.keys('C-c');
    await tmux.waitFor(/\^C\nsluice> $/m);

    tmux.type("SELECT predict('fr");
    tmux.keys('Tab');
    await tmux.waitFor(/sluice> SELECT predict\('fraud$/m);
    tmux.keys('C-c');
    await tmux.waitFor(/\^C\nsluice> $/m);

    tmux.keys('Tab', 'Tab');
    const screen = await tmux.waitFor(/CREATE +DESCRIBE/);
    expect(screen).toMatch(/SELECT/);
    tmux.keys('C-c');
    await tmux.waitFor(/\^C\nsluice> $/m);
  });

  it('answers help, \\? and \\d itself', async () => {
    tmux.line('help');
    await tmux.waitFor(/exit, quit, \\q +leave/);
    tmux.line('\\?');
    await tmux.waitFor(/\\d NAME +describe a relation/);
    tmux.line('\\d');
    // The models come last: once they are on the screen, every section is.
    const all = await tmux.waitFor(/ models\n-+\n\(0 rows\)/);
    expect(all).toMatch(new RegExp(` streams\\n-+\\n ticks\\n counts\\n\\(2 rows\\)`));
    tmux.line('\\d scores');
    const one = await tmux.waitFor(/ column +\| type\n-+\+-+\n card_id \| STRING\n score +\| DOUBLE\n\(2 rows\)/);
    expect(one).toContain('sluice> \\d scores');
    // An unknown command is answered at once; the next line is a statement of its own.
    tmux.line('\\x');
    await tmux.waitFor(/ERROR: unknown command '\\x'; the shell knows/);
    tmux.line('\\d scores');
    await tmux.waitFor(/sluice> \\d scores[\s\S]*sluice> \\x[\s\S]*sluice> \\d scores\n column/);
  });

  it('streams a push query live until Ctrl-C, which cancels it on the server', async () => {
    tmux.line('SELECT seq, label FROM ticks;');
    await tmux.waitFor(/-- push query (q\d+) from the latest rows; press Ctrl-C to stop/);
    const live = await tmux.waitFor(/^2 +\| tick-2$/m);
    const id = /-- push query (q\d+)/.exec(after(live, 'FROM ticks;'))?.[1] ?? '';
    const running = (await (await fetch(`${server.url}/v1/queries`)).json()) as { queries: { id: string }[] };
    expect(running.queries.map((q) => q.id)).toContain(id);
    tmux.keys('C-c');
    await tmux.waitFor(new RegExp(`-- cancelled query ${id} after \\d+ rows\\n${TIME}\\nsluice> $`, 'm'));
    await new Promise((r) => setTimeout(r, 300));
    const left = (await (await fetch(`${server.url}/v1/queries`)).json()) as { queries: { id: string }[] };
    expect(left.queries.map((q) => q.id)).not.toContain(id);
  });

  it('PREDICT scores one row now and prints its outputs and version', async () => {
    tmux.line('PREDICT fraud (ARRAY[0.1, 0.2, 0.3]);');
    const screen = await tmux.waitFor(/\(1 row\)\nTime: .*\nsluice> $/m);
    expect(after(screen, 'PREDICT fraud (ARRAY[0.1, 0.2, 0.3]);\n')).toMatch(/^ score \| version\n-------\+---------\n {3}0\.5 \| {7}1\n\(1 row\)/);
  });

  it('shows an updating push query as a table redrawn in place', async () => {
    tmux.line('SELECT k, n FROM counts;');
    // Several updates of the one row have come (+I, then -U/+U pairs) and the table shows the latest.
    const shown = await tmux.waitFor(/^ a +\| +(\d+)\n\(1 row; ([5-9]|\d{2,}) changes\)$/m);
    const [, n, changes] = /^ a +\| +(\d+)\n\(1 row; (\d+) changes\)$/m.exec(shown) ?? [];
    expect(Number(changes)).toBe(2 * Number(n) - 1);
    const screen = tmux.screen();
    const drawn = after(screen, 'FROM counts;\n');
    // Redrawn, not scrolled: one header and one row on the screen, no changelog markers.
    expect(drawn.match(/^ k +\| n$/gm)).toHaveLength(1);
    expect(drawn).not.toMatch(/^[+-][IUD] /m);
    tmux.keys('C-c');
    await tmux.waitFor(/-- cancelled query q\d+ after \d+ rows\nTime: .*\nsluice> $/m);
  });

  it("marks updating rows with their op in result-mode 'changelog', and reads from the earliest when set", async () => {
    tmux.line("SET 'result-mode' = 'changelog';");
    await tmux.waitFor(/^'result-mode' = 'changelog'$/m);
    tmux.line("SET 'scan.startup.mode' = 'earliest';");
    await tmux.waitFor(/^'scan.startup.mode' = 'earliest'$/m);
    tmux.line('SET;');
    await tmux.waitFor(/^'scan.startup.mode' = 'earliest' +-- where push queries start/m);
    tmux.line('SELECT k, n FROM counts;');
    const screen = await tmux.waitFor(/^\+U {2}a +\| 2$/m);
    expect(screen).toMatch(/-- push query q\d+ from the earliest rows/);
    expect(screen).toMatch(/^op {2}k +\| n$/m);
    expect(screen).toMatch(/^\+I {2}a +\| 1$/m);
    expect(screen).toMatch(/^-U {2}a +\| 1$/m);
    tmux.keys('C-c');
    await tmux.waitFor(/-- cancelled query q\d+ after \d+ rows\nTime: .*\nsluice> $/m);
    tmux.line("SET 'result-mode' = 'pretty';");
    await tmux.waitFor(/ERROR: 'result-mode' takes 'table', 'changelog', not 'pretty'/);
    tmux.line('RESET;');
    await tmux.waitFor(/all properties reset to their defaults/);
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

describe('sluice shell: leaving, connecting, wide rows', () => {
  it.each(['exit', 'quit', '\\q', 'exit;', 'QUIT;'])('leaves on %s', async (word) => {
    const t = new TmuxSession(shellCommand(server.url, join(dir, 'history-exit')), REPO_ROOT);
    try {
      await t.waitFor(/sluice> $/m, 30_000);
      t.line(word);
      const end = Date.now() + 10_000;
      while (!t.paneDead() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(t.paneDead()).toBe(true);
      expect(t.screen()).not.toMatch(/ERROR/);
    } finally {
      t.kill();
    }
  });

  it('says clearly when nothing listens at the URL, and never that it connected', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const t = new TmuxSession(`${shellCommand(url, join(dir, 'history-none'))}; echo "exit code $?"`, REPO_ROOT);
    try {
      const screen = await t.waitFor(/exit code \d+/, 30_000);
      expect(screen).toContain(`ERROR [CONNECTION]: cannot reach a Sluice server at ${url}`);
      expect(screen).toMatch(/HINT: start one with `sluice serve`.*--url/);
      expect(screen).not.toContain('Connected');
      expect(screen).toContain('exit code 1');
    } finally {
      t.kill();
    }
  });

  it('cuts wide rows to the terminal width', async () => {
    const t = new TmuxSession(shellCommand(server.url, join(dir, 'history-wide')), REPO_ROOT, 60);
    try {
      await t.waitFor(/sluice> $/m, 30_000);
      t.line('SELECT id, note FROM wide;');
      const screen = await t.waitFor(/\(1 row\)/);
      const lines = after(screen, 'FROM wide;\n').split('\n').slice(0, 3);
      expect(lines[0]).toMatch(/^ id \| note$/);
      expect(lines[2]).toMatch(/^ +1 \| long text long text .*…$/);
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
    } finally {
      t.kill();
    }
  });
});
