/**
 * Test harness for the Kafka test broker (tools/kafka-mock).
 *
 * The broker is librdkafka's mock cluster, patched to enforce transactions
 * (read_committed isolation, aborted-transaction filtering, transactional
 * offset commits, producer fencing). It speaks the real Kafka protocol on
 * loopback, so any Kafka client (kafkajs, librdkafka/kcat) can use it.
 *
 * Usage:
 *
 *   const kafka = await startKafkaMock({ brokers: 3, topics: ['in:4', 'out:1'] });
 *   const client = new Kafka({ brokers: kafka.bootstrap.split(',') });
 *   ...
 *   await kafka.command('broker-down 2');   // fault injection
 *   await kafka.stop();
 *
 * Behaviour to design tests around:
 * - Topics must be created up front (`topics`) or with
 *   `command('create-topic name:partitions')`; the CreateTopics admin API is
 *   not supported by the mock.
 * - Consumer groups: the first join waits `groupInitialRebalanceDelayMs`
 *   (3 s by default); later rebalances wait about session timeout - 1 s, so
 *   use a short session timeout (~6 s) in tests.
 * - Each partition keeps at most 5 MiB (`retentionBytes`) / 100k batches in
 *   memory; older batches are dropped (the log start offset moves), as
 *   retention does on a real broker. `delete-records` drops them on demand.
 * - A Fetch returns at most one record batch per partition.
 * - No transaction timeout: an open transaction stays open until its
 *   producer ends it or a new producer with the same transactional id
 *   initializes (which aborts it).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Builds the broker if needed; prints the binary path. */
export const KAFKA_MOCK_BUILD_SCRIPT = resolve(REPO_ROOT, 'tools/kafka-mock/build.sh');

export interface KafkaMockOptions {
  /** Number of brokers (ids 1..N). Default 1. Broker 1 is the controller. */
  brokers?: number;
  /**
   * Topics to create before the broker reports ready, as
   * `name:partitions[:replication]` (replication defaults to min(3, brokers)).
   */
  topics?: string[];
  /** Initial consumer group rebalance delay in ms (mock default 3000). */
  groupInitialRebalanceDelayMs?: number;
  /** Bytes of record batches each partition keeps before older ones are deleted. Default 5 MiB. */
  retentionBytes?: number;
  /** librdkafka debug contexts for the broker's stderr log, e.g. 'mock,protocol'. */
  debug?: string;
  /** Forward the broker's stderr to this process's stderr. Default: only when `debug` is set. */
  stderr?: boolean;
  /** Milliseconds to wait for the build and for the BOOTSTRAP line. Default 300000. */
  startTimeoutMs?: number;
}

export interface KafkaMock {
  /** Comma-separated `host:port` list for the clients' bootstrap servers. */
  bootstrap: string;
  /** Same as `bootstrap`, split into an array (kafkajs `brokers`). */
  brokers: string[];
  /**
   * Sends one command line to the broker and resolves with its answer
   * (`OK`); rejects with an Error carrying the `ERR ...` answer. Commands:
   * - `broker-down <id>` / `broker-up <id>`
   * - `rtt <broker> <ms>`
   * - `error <ApiKeyName|num> <errcode|ERROR_NAME> [count]`: the next `count`
   *   requests of that API (on any broker) fail with the error
   * - `create-topic name:partitions[:replication]`
   * - `delete-records <topic> <partition> <offset>`: deletes the records
   *   before `offset` (the partition's log start offset moves there)
   * - `leader <topic> <partition> <broker>`
   * - `coordinator <group|transaction> <key> <broker>`
   */
  command(cmd: string): Promise<string>;
  /** Stops the broker (closes stdin, then SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

let buildPromise: Promise<string> | undefined;

/**
 * Returns the broker binary path, building it with tools/kafka-mock/build.sh
 * when missing or out of date (the script is a no-op when up to date). The
 * environment variable KAFKA_MOCK_BIN overrides the path and skips the build.
 */
export function ensureKafkaMockBinary(timeoutMs = 300_000): Promise<string> {
  const override = process.env.KAFKA_MOCK_BIN;
  if (override) {
    if (!existsSync(override)) {
      return Promise.reject(new Error(`KAFKA_MOCK_BIN=${override} does not exist`));
    }
    return Promise.resolve(override);
  }
  buildPromise ??= execFileAsync('bash', [KAFKA_MOCK_BUILD_SCRIPT], {
    cwd: REPO_ROOT,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout }) => {
      const bin = stdout.trim().split('\n').pop() ?? '';
      if (!bin || !existsSync(bin)) throw new Error(`build.sh printed no binary path: ${stdout}`);
      return bin;
    },
    (err: Error & { stderr?: string }) => {
      buildPromise = undefined;
      throw new Error(`tools/kafka-mock/build.sh failed: ${err.message}\n${err.stderr ?? ''}`);
    },
  );
  return buildPromise;
}

/** Starts a mock Kafka cluster; resolves once it accepts connections. */
export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMock> {
  const timeoutMs = options.startTimeoutMs ?? 300_000;
  const bin = await ensureKafkaMockBinary(timeoutMs);

  const args = ['--brokers', String(options.brokers ?? 1)];
  for (const t of options.topics ?? []) args.push('--topic', t);
  if (options.groupInitialRebalanceDelayMs !== undefined) {
    args.push('--rebalance-delay', String(options.groupInitialRebalanceDelayMs));
  }
  if (options.retentionBytes !== undefined) args.push('--retention-bytes', String(options.retentionBytes));
  if (options.debug) args.push('--debug', options.debug);
  const forwardStderr = options.stderr ?? Boolean(options.debug);

  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', forwardStderr ? 'inherit' : 'pipe'] });
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-4000);
  });
  // Writes to a dead child must not crash the test process.
  child.stdin!.on('error', () => {});

  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const bootstrap = await waitForBootstrap(child, lines, exited, timeoutMs, () => stderrTail);
  return new MockHandle(child, lines, exited, bootstrap);
}

function waitForBootstrap(
  child: ChildProcess,
  lines: Interface,
  exited: Promise<number | null>,
  timeoutMs: number,
  stderr: () => string,
): Promise<string> {
  return new Promise<string>((res, rej) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      rej(new Error(`kafka-mock did not report BOOTSTRAP within ${timeoutMs} ms\n${stderr()}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      if (!line.startsWith('BOOTSTRAP=')) return;
      cleanup();
      res(line.slice('BOOTSTRAP='.length).trim());
    };
    const cleanup = () => {
      clearTimeout(timer);
      lines.off('line', onLine);
    };
    lines.on('line', onLine);
    void exited.then((code) => {
      cleanup();
      rej(new Error(`kafka-mock exited with code ${code} before it was ready\n${stderr()}`));
    });
  });
}

class MockHandle implements KafkaMock {
  readonly brokers: string[];
  private readonly pending: Array<{ res: (s: string) => void; rej: (e: Error) => void }> = [];
  private stopped: Promise<void> | undefined;
  private exitCode: number | null | undefined;

  constructor(
    private readonly child: ChildProcess,
    lines: Interface,
    private readonly exited: Promise<number | null>,
    readonly bootstrap: string,
  ) {
    this.brokers = bootstrap.split(',');
    lines.on('line', (line) => {
      const waiter = this.pending.shift();
      if (!waiter) return;
      if (line.startsWith('OK')) waiter.res(line);
      else waiter.rej(new Error(`kafka-mock: ${line}`));
    });
    void exited.then((code) => {
      this.exitCode = code;
      for (const w of this.pending.splice(0)) w.rej(new Error(`kafka-mock exited (code ${code})`));
    });
  }

  command(cmd: string): Promise<string> {
    if (cmd.includes('\n')) return Promise.reject(new Error('kafka-mock: one command per call'));
    if (this.exitCode !== undefined || this.stopped) {
      return Promise.reject(new Error('kafka-mock is not running'));
    }
    return new Promise<string>((res, rej) => {
      this.pending.push({ res, rej });
      this.child.stdin!.write(`${cmd}\n`);
    });
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      if (this.exitCode !== undefined) return;
      this.child.stdin!.end();
      const killTimer = setTimeout(() => this.child.kill('SIGTERM'), 3000);
      const hardKillTimer = setTimeout(() => this.child.kill('SIGKILL'), 8000);
      await this.exited;
      clearTimeout(killTimer);
      clearTimeout(hardKillTimer);
    })();
    return this.stopped;
  }
}
