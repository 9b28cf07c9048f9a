import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Where lapse's compiled CLI lives (the bench runs what users run: bin/lapse, which execs node). */
export const ROOT = path.resolve(import.meta.dirname, '../..');

export type ServerName = 'lapse' | 'redis';

export interface BenchServer {
  name: ServerName;
  port: number;
  pid: number;
  dir: string;
  /** ms from spawning the process until it logged "Ready to accept connections" (after loading any RDB). */
  startMs: number;
  /** Everything the server has written to stdout and stderr so far (its log). */
  log(): string;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  /**
   * The resident pages of files the process maps (its program and libraries: node's
   * code, ~40 MB of lapse's RSS; a few MB of redis-server's), in bytes, from /proc
   * (RssFile).
   */
  rssFile(): number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function rssOf(pid: number, field = 'VmRSS'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface StartOptions {
  /**
   * An existing directory to run in (e.g. one holding a dump.rdb to load), owned by the
   * caller: kept on stop. Default: a fresh temporary directory, removed on stop.
   */
  dir?: string;
  /** How long to wait for "Ready to accept connections" (default 20 s). */
  readyTimeoutMs?: number;
}

/**
 * Starts lapse (its CLI, compiled) or Debian's redis-server on a free loopback port with
 * the same settings: no save points (`--save ''`: SAVE/BGSAVE still work on demand), no
 * AOF, a fresh directory unless options.dir says otherwise; `extra` arguments go to both.
 */
export async function startServer(name: ServerName, extra: string[] = [], options: StartOptions = {}): Promise<BenchServer> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  const port = await freePort();
  const spawnedAt = performance.now();
  let readyAt = 0;
  const common = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...extra];
  let child: ChildProcess;
  if (name === 'lapse') {
    child = spawn('sh', [path.join(ROOT, 'bin/lapse'), ...common], { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    child = spawn('redis-server', [...common, '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start:\n${out}`));
    }, options.readyTimeoutMs ?? 20_000);
    const check = () => {
      if (readyAt === 0 && /Ready to accept connections/.test(out)) {
        readyAt = performance.now();
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    });
  });
  child.removeAllListeners('exit');
  const pid = child.pid!;
  return {
    name,
    port,
    pid,
    dir,
    startMs: readyAt - spawnedAt,
    log: () => out,
    rss: () => rssOf(pid),
    rssFile: () => rssOf(pid, 'RssFile'),
    stop: () =>
      new Promise<void>((resolve) => {
        // Stopping twice is harmless (a killed child has signalCode set, exitCode null).
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => {
          if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}

/** Runs a command to completion, collecting its output; rejects after timeoutMs. */
export function run(
  cmd: string,
  args: string[],
  options: { input?: Buffer | string; inputFile?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    // A file as stdin: the child reads it itself, and this process (which may be timing
    // something meanwhile) does not spend its turns writing a pipe.
    const stdinFd = options.inputFile === undefined ? null : fs.openSync(options.inputFile, 'r');
    const child = spawn(cmd, args, { stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'] });
    if (stdinFd !== null) fs.closeSync(stdinFd);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out`));
    }, options.timeoutMs ?? 600_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
    if (child.stdin !== null) {
      child.stdin.on('error', () => {});
      child.stdin.end(options.input ?? '');
    }
  });
}

/** CPU seconds (user + system) a process has used so far (/proc/<pid>/stat, 100 ticks a second). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
