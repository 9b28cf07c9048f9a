import { spawn } from 'node:child_process';
import fs from 'node:fs';

/**
 * daemonize yes. Node cannot fork, so the daemon is a detached copy of the same command
 * line (same node flags, script and arguments, in a new session, its stdin, stdout and
 * stderr on /dev/null as Redis's daemonize() leaves them), told by DAEMON_ENV that it is
 * the daemon. Unlike Redis's parent, which exits as soon as it has forked, this one
 * waits until the daemon reports over a pipe (its fd 3) that it listens, or why it could
 * not start, so that an error reaches the terminal and the exit code tells an init script
 * whether the server runs. The daemon closes the pipe once it has reported.
 */

/** Set in the daemon's environment: the fd of its status pipe. */
const DAEMON_ENV = 'LAPSE_DAEMON_STATUS_FD';

/** The status pipe of this process if it is the daemon (the variable is removed so children do not inherit it). */
export function daemonStatusPipe(): DaemonStatus | null {
  const fd = Number(process.env[DAEMON_ENV]);
  delete process.env[DAEMON_ENV];
  return Number.isInteger(fd) && fd > 2 ? new DaemonStatus(fd) : null;
}

/** The daemon's side of the status pipe: one report, then the pipe is closed. */
export class DaemonStatus {
  private open = true;

  constructor(private readonly fd: number) {}

  /** Start-up succeeded: the parent exits 0. */
  ready(): void {
    this.report('ready\n');
  }

  /** Start-up failed: the parent prints `message` and exits 1. */
  failed(message: string): void {
    this.report(`error\n${message}\n`);
  }

  private report(text: string): void {
    if (!this.open) return;
    this.open = false;
    try {
      fs.writeSync(this.fd, text);
      fs.closeSync(this.fd);
    } catch {
      // The parent is gone: nobody to tell.
    }
  }
}

/**
 * Starts the daemon (node's own flags, such as the heap limit bin/lapse gave it, are
 * passed on) and waits for its report; never returns: exits 0 once it listens, 1 if it
 * failed (its reason on stderr).
 */
export function daemonize(): Promise<never> {
  return new Promise<never>(() => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, [DAEMON_ENV]: '3' },
    });
    let report = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.setEncoding('latin1');
    pipe.on('data', (d: string) => (report += d));
    let exitCode: number | null = null;
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 1 : 0);
    });
    child.on('error', (e) => {
      process.stderr.write(`Could not start the daemon: ${e.message}\n`);
      process.exit(1);
    });
    pipe.on('end', () => {
      if (report.startsWith('ready\n')) {
        child.unref();
        process.exit(0);
      }
      const reason = report.startsWith('error\n')
        ? report.slice(6).trimEnd()
        : `The daemon exited during start-up${exitCode !== null ? ` (exit code ${exitCode})` : ''} without saying why; see the log file`;
      process.stderr.write(`${reason}\n`);
      process.exit(1);
    });
  });
}
