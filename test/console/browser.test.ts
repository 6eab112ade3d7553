/**
 * The web console in a real browser (Debian's chromium, driven by playwright-core) against
 * running servers: the demo, and one with a token and --console read-only. Each page must show
 * the figures the API gives, with no console error and no failed request; screenshots go to
 * test-artifacts/console/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/build-console.mjs';
import { freePort, REPO_ROOT, startServerProcess, type ServerProcess } from '../server/server-process.js';

const CHROMIUM = process.env['SLUICE_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const TOKEN = 'console-test-token';
const WAIT = { timeout: 15_000 };

let browser: Browser;
let demo: ServerProcess;
let locked: ServerProcess;
const dataDirs: string[] = [];

async function serve(...flags: string[]): Promise<ServerProcess> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'sluice-console-'));
  dataDirs.push(data);
  return startServerProcess(['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port), '--data', data, ...flags], port, 60_000);
}

async function api<T>(server: ServerProcess, path: string, init: RequestInit = {}, token?: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
  return (await res.json()) as T;
}

const sql = (server: ServerProcess, text: string, token?: string) => api<{ results?: unknown[]; error?: { code: string } }>(server, '/v1/sql', { method: 'POST', body: JSON.stringify({ sql: text }) }, token);

/**
 * A page that records every console error, uncaught exception, failed request, HTTP error and
 * request to anywhere but the server;
 * `problems()` lists them. `allowed` names responses a page is expected to get (the 401 that
 * tells the console to ask for the token). A request aborted on purpose (leaving a page closes
 * its push stream) is not a failure.
 */
async function openPage(allowed: RegExp[] = []): Promise<{ page: Page; problems: () => string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const seen: string[] = [];
  const isAllowed = (text: string) => allowed.some((r) => r.test(text));
  page.on('console', (m) => {
    if (m.type() === 'error' && !isAllowed(`${m.text()} ${m.location().url}`)) seen.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => seen.push(`exception: ${e.message}`));
  // Everything comes from the server itself: the console works offline.
  page.on('request', (r) => {
    if (!r.url().startsWith('http://127.0.0.1:')) seen.push(`request off the server: ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') seen.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !isAllowed(`${r.status()} ${r.url()}`)) seen.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { page, problems: () => seen };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));

describe.skipIf(!existsSync(CHROMIUM))('web console in chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await buildConsole();
    [demo, locked, browser] = await Promise.all([
      serve('--demo'),
      serve('--token', TOKEN, '--console', 'read-only'),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] }),
    ]);
    // A view whose bad rows go to its dead-letter stream: 4/2 answers, 1/0 and 3/0 do not.
    await sql(demo, "CREATE STREAM pay (id STRING, n INT, d INT) WITH (partitions = 1); CREATE MATERIALIZED VIEW ratio AS SELECT id, n / d AS r FROM pay; INSERT INTO pay VALUES ('a', 4, 2), ('b', 1, 0), ('c', 3, 0)");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([demo?.stop(), locked?.stop()]);
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  it('overview: the query list matches /v1/queries and the charts have points', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${demo.url}/#/overview`);
    const { queries } = await api<{ queries: { id: string }[] }>(demo, '/v1/queries');
    await page.waitForFunction((n) => document.querySelectorAll('[data-query-id]').length === n, queries.length, WAIT);
    expect((await page.$$eval('[data-query-id]', (els) => els.map((e) => e.getAttribute('data-query-id')))).sort()).toEqual(queries.map((q) => q.id).sort());
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="rows-in"]')?.getAttribute('data-points')) > 0, undefined, WAIT);
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="memory"]')?.getAttribute('data-points')) > 0, undefined, WAIT);
    expect(await page.$$eval('[data-chart="rows-in"] canvas', (els) => els.length)).toBe(1);
    expect(await page.textContent('[data-stat="heap"] .stat-value')).toMatch(/MiB$/);
    await shot(page, 'overview-light');
    await page.click('button.theme');
    // The theme is set by an effect after the click's render: wait for it, not the next tick.
    await page.waitForFunction(() => document.documentElement.dataset['theme'] === 'dark', undefined, WAIT);
    await shot(page, 'overview-dark');
    expect(problems()).toEqual([]);
    await page.close();
  });

  it('query page: plan graph with operator rates, SQL text, dead letters with their reason', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${demo.url}/#/queries/view_fraud_scores`);
    await page.waitForSelector('svg.plan', WAIT);
    expect(await page.$$eval('.plan-node', (els) => els.map((e) => e.getAttribute('data-operator')))).toEqual(['MaterializedView', 'ProjectExec', 'PredictExec', 'StreamLookupJoinExec', 'SourceExec']);
    // Every executable operator gets its rows/s once two samples exist; the lowest is marked.
    await page.waitForFunction(() => [...document.querySelectorAll('.plan-node')].filter((e) => e.getAttribute('data-rate') !== '').length === 4, undefined, WAIT);
    // The demo's operators pass every row on, so either all keep pace or one is marked as the slowest.
    await page.waitForSelector('.backpressure', WAIT);
    const slowest = await page.getAttribute('.backpressure', 'data-slowest');
    const marked = await page.$$eval('.plan-node.slowest', (els) => els.map((e) => e.getAttribute('data-operator')));
    expect(marked).toEqual(slowest ? [slowest] : []);
    expect(await page.textContent('.sql-text')).toContain('FROM tx JOIN card_features');
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="operators"]')?.getAttribute('data-points')) > 0, undefined, WAIT);
    await shot(page, 'query-fraud-scores');

    await page.goto(`${demo.url}/#/queries/view_ratio`);
    const { query } = await api<{ query: { rowsIn: number; deadLetters: number } }>(demo, '/v1/queries/view_ratio');
    expect(query).toMatchObject({ rowsIn: 3, deadLetters: 2 });
    await page.waitForFunction(() => document.querySelectorAll('.dlq tbody tr').length === 2 && !document.querySelector('.dlq .muted'), undefined, WAIT);
    expect(await page.textContent('[data-stat="dead-letters"] .stat-value')).toBe('2');
    expect(await page.textContent('[data-stat="rows-in"] .stat-value')).toBe('3');
    const rows = await page.$$eval('.dlq tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // Newest first: offsets 1 then 0, each with the reason, the operator and the row.
    expect(rows.map((r) => r[0])).toEqual(['1', '0']);
    for (const r of rows) expect(r.slice(2, 4)).toEqual(['SELECT r := n / d: division by zero', 'ProjectExec']);
    expect(rows.map((r) => JSON.parse(r[5]!).id).sort()).toEqual(['b', 'c']);
    await shot(page, 'query-dead-letters');
    expect(problems()).toEqual([]);
    await page.close();
  });

  it('models page: serving version, roles, histograms, rows scored', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${demo.url}/#/models/fraud`);
    await page.waitForSelector('[data-model="fraud"] .versions tbody tr', WAIT);
    const { model } = await api<{ model: { version: number; versions: unknown[]; stats: { rows: number } } }>(demo, '/v1/models/fraud');
    expect(await page.textContent('[data-stat="serving"] .stat-value')).toBe(String(model.version));
    // One row per version; the serving one says so.
    const roles = await texts(page, '.versions tbody tr td:nth-child(2)');
    expect(roles).toHaveLength(model.versions.length);
    expect(roles.filter((r) => r.split(', ').includes('serving'))).toHaveLength(1);
    expect(Number((await page.textContent('[data-stat="rows"] .stat-value'))!.replace(/k$/, '000'))).toBeGreaterThan(0);
    await page.waitForFunction(() => Number(document.querySelector('[data-histogram="batch size (rows)"]')?.getAttribute('data-buckets')) > 0, undefined, WAIT);
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="model-rows"]')?.getAttribute('data-points')) > 0, undefined, WAIT);
    await shot(page, 'models');
    expect(problems()).toEqual([]);
    await page.close();
  });

  it('SQL page: completion, error caret, results, live push query cancelled on leaving', async () => {
    // The SQL error is answered 400 on purpose; nothing else may fail.
    const { page, problems } = await openPage([/^400 .*\/v1\/query$/, /status of 400 .*\/v1\/query\)?$/]);
    await page.goto(`${demo.url}/#/sql`);
    const editor = page.locator('textarea.editor-input');
    await editor.fill('');
    await editor.pressSequentially('SELECT * FROM fraud_s');
    await page.waitForSelector('.completions li', WAIT);
    expect(await texts(page, '.completions li')).toContain('fraud_scores');
    await editor.press('Tab');
    expect(await editor.inputValue()).toBe('SELECT * FROM fraud_scores');

    const bad = 'SELECT amount FROM tx WHERE amout > 1';
    const expected = await sql(demo, bad);
    const position = (expected.error as unknown as { position: { line: number; column: number } }).position;
    await editor.fill(bad);
    await editor.press('Control+Enter');
    await page.waitForSelector('.caret-box', WAIT);
    expect(await page.getAttribute('.caret-box', 'data-column')).toBe(String(position.column));
    const caretLines = (await page.textContent('.caret-box'))!.split('\n');
    expect(caretLines[1]!.indexOf('^') - 'LINE 1: '.length).toBe(position.column - 1);
    expect(await page.textContent('.tok-error')).toBe('amout');
    expect(await page.textContent('.error')).toContain('UNKNOWN_COLUMN');
    await shot(page, 'sql-error');

    await editor.fill('SHOW STREAMS');
    await page.click('button.primary');
    await page.waitForSelector('.result-table tbody tr', WAIT);
    expect(await texts(page, '.result-table tbody tr td:first-child')).toEqual(expect.arrayContaining(['tx', 'pay']));

    await editor.fill('SELECT id, r FROM ratio');
    await page.click('button.primary');
    await page.waitForSelector('.live-state[data-state="ended"]', WAIT);
    expect(await page.$$eval('.result-table.live tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)))).toEqual([['a', '2']]);

    // An updating result is refreshed in place: one row per card however many changes arrive.
    await editor.fill('SELECT card_id, COUNT(*) AS n FROM tx GROUP BY card_id');
    await page.click('button.primary');
    await page.waitForFunction(() => /· (\d+) change/.exec(document.querySelector('.live-state')?.textContent ?? '')?.[1] !== undefined && Number(/· (\d+) change/.exec(document.querySelector('.live-state')!.textContent!)![1]) > 150, undefined, WAIT);
    const cards = await texts(page, '.result-table.live tbody tr td:first-child');
    expect(cards.length).toBeGreaterThan(0);
    expect(cards.length).toBeLessThanOrEqual(50);
    expect(new Set(cards).size).toBe(cards.length);

    await editor.fill('SELECT tx_id, amount FROM tx');
    await page.click('button.primary');
    await page.waitForFunction(() => document.querySelectorAll('.result-table.live tbody tr:not(:has(.muted))').length > 0, undefined, WAIT);
    expect(await page.getAttribute('.live-state', 'data-state')).toBe('running');
    const pushIds = async () => (await api<{ queries: { id: string; kind: string }[] }>(demo, '/v1/queries')).queries.filter((q) => q.kind === 'push').map((q) => q.id);
    // Running a new query cancelled the updating one: only this one is left on the server.
    await expect.poll(pushIds, { timeout: 10_000 }).toHaveLength(1);
    await shot(page, 'sql-live');
    await page.click('a[href="#/overview"]');
    await expect.poll(pushIds, { timeout: 10_000 }).toEqual([]);
    expect(problems()).toEqual([]);
    await page.close();
  });

  it('streams and tables: the list matches /v1/relations and a stream shows its latest rows', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${demo.url}/#/relations`);
    const { relations } = await api<{ relations: { name: string }[] }>(demo, '/v1/relations');
    await page.waitForFunction((n) => document.querySelectorAll('[data-relation]').length === n, relations.length, WAIT);
    expect(await texts(page, '[data-relation]')).toEqual(relations.map((r) => r.name));
    await page.click('[data-relation="pay"]');
    await page.waitForFunction(() => document.querySelectorAll('.peek tbody tr').length === 3, undefined, WAIT);
    expect(await texts(page, '.peek tbody tr td:nth-child(2)')).toEqual(['c', 'b', 'a']);
    expect(await texts(page, '.schema tbody tr td:first-child')).toEqual(['id', 'n', 'd']);
    await shot(page, 'relations');
    expect(problems()).toEqual([]);
    await page.close();
  });

  it('with a token: only the login page until it is given; read-only: no buttons that change anything', async () => {
    const { page, problems } = await openPage([/^401 .*\/v1\/console$/, /status of 401/]);
    const anonymous = await fetch(`${locked.url}/v1/queries`);
    expect(anonymous.status).toBe(401);
    await page.goto(`${locked.url}/`);
    await page.waitForSelector('form.login', WAIT);
    expect(await page.$('header nav')).toBeNull();
    await shot(page, 'login');
    await page.fill('input[name="token"]', 'wrong');
    await page.click('form.login button');
    await page.waitForSelector('form.login .error', WAIT);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('form.login button');
    await page.waitForSelector('header .badge', WAIT);
    expect(await page.textContent('header .badge')).toBe('read-only');
    expect(await page.evaluate(() => sessionStorage.getItem('sluice.token'))).toBe(TOKEN);

    await sql(locked, 'CREATE STREAM s (x INT); CREATE MATERIALIZED VIEW v AS SELECT x FROM s', TOKEN);
    await page.goto(`${locked.url}/#/queries/view_v`);
    await page.waitForSelector('svg.plan', WAIT);
    expect(await page.$$('.actions button')).toHaveLength(0);
    await page.goto(`${locked.url}/#/sql`);
    await page.locator('textarea.editor-input').fill('DROP VIEW v');
    await page.click('button.primary');
    await page.waitForSelector('.error', WAIT);
    expect(await page.textContent('.error')).toContain('NOT_ALLOWED');
    // Leaving the editor closed the completion list that typing 'v' opened.
    expect(await page.$('.completions')).toBeNull();
    expect((await sql(locked, 'SHOW VIEWS', TOKEN)).results).toHaveLength(1);
    await shot(page, 'read-only-refused');
    // The refused DROP answered 403; nothing else failed.
    expect(problems().filter((p) => !/HTTP 403: .*\/v1\/sql$|status of 403/.test(p))).toEqual([]);
    await page.close();
  });
});
