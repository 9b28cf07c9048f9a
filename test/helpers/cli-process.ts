import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output contains text (rejects after timeoutMs). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (rejects after timeoutMs). */
  exited(timeoutMs?: number): Promise<number | null>;
  kill(): void;
}

/** The tsx loader, by absolute URL so the CLI can run in any directory. */
const TSX = import.meta.resolve('tsx');

export interface CliOptions {
  /** Working directory: a fresh temporary one by default, where dump.rdb goes. */
  cwd?: string;
  /** Run as this user and group id (e.g. an unprivileged one, where root ignores modes). */
  uid?: number;
  gid?: number;
  /** Variables added to the environment (NOTIFY_SOCKET, UPSTART_JOB). */
  env?: Record<string, string>;
}

/**
 * Runs the lapse CLI from source (node + tsx loader), as `lapse <args>`, in a fresh
 * temporary directory unless told otherwise: the CLI has Redis's default save points
 * and saves to its working directory on SIGTERM.
 */
export function runCli(args: string[], options: CliOptions = {}): CliProcess {
  const cwd = options.cwd ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-cli-cwd-'));
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'src/cli.ts'), ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor(text, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const matches = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
        if (matches()) return resolve();
        const onData = () => {
          if (matches()) {
            cleanup();
            resolve();
          }
        };
        const t = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${text}; output so far:\n${out}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          if (matches()) resolve();
          else reject(new Error(`exited before ${text}; output:\n${out}`));
        };
        const cleanup = () => {
          clearTimeout(t);
          child.stdout!.off('data', onData);
          child.stderr!.off('data', onData);
          child.off('exit', onExit);
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.on('exit', onExit);
      });
    },
    exited(timeoutMs = 15_000) {
      return Promise.race([
        exit,
        new Promise<number | null>((_, reject) =>
          setTimeout(() => reject(new Error(`process did not exit; output:\n${out}`)), timeoutMs),
        ),
      ]);
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
