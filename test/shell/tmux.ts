/** Driving a program in a tmux pseudo-terminal, for shell tests. */
import { execFileSync } from 'node:child_process';

export function requireTmux(): void {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'pipe' });
  } catch {
    throw new Error('the shell tests drive a terminal with tmux, which is not installed: run `apt-get update && apt-get install -y tmux`');
  }
}

export class TmuxSession {
  private readonly socket = `sluice-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly name = 'shell';

  constructor(command: string, cwd: string, width = 140, height = 50) {
    this.tmux('new-session', '-d', '-s', this.name, '-x', String(width), '-y', String(height), '-c', cwd, command);
    this.tmux('set-option', '-t', this.name, 'remain-on-exit', 'on');
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Types text literally (a trailing ';' is escaped from tmux's own command parser). */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text.endsWith(';') ? `${text.slice(0, -1)}\\;` : text);
  }

  /** Sends key names: Enter, Tab, C-c, C-d. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  line(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', this.name, '-S', '-500');
  }

  paneDead(): boolean {
    return this.tmux('display-message', '-p', '-t', this.name, '#{pane_dead}').trim() === '1';
  }

  /** Waits until the screen (scrollback included) matches; returns it. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < end) {
      text = this.screen();
      if (pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${text}`);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
