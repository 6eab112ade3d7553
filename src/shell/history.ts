/** Shell history persisted across sessions, one statement per line, oldest first. */
import { appendFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HISTORY_SIZE = 1000;

export function defaultHistoryPath(): string {
  return process.env.SLUICE_HISTORY ?? join(homedir(), '.sluice_history');
}

/** Newest first, as readline wants it; a missing file is an empty history. */
export function loadHistory(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

/** Records one statement; failures (read-only home) are ignored so the shell keeps working. */
export function appendHistory(path: string, statement: string): void {
  try {
    appendFileSync(path, `${statement.replace(/\s*\n\s*/g, ' ').trim()}\n`, { mode: 0o600 });
  } catch {
    // history is a convenience
  }
}
