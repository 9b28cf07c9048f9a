import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { datagramSocket, type DatagramSocket } from '../helpers/datagram-socket.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * The process around the server, as redis-server 7.0 runs it: systemd's readiness
 * notification, upstart's SIGSTOP, the process title, what SIGTERM does
 * (shutdown-on-sigterm), and the start-up warning naming parameters without effect.
 */

const running: CliProcess[] = [];
const others: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
  for (const c of others.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-sup-'));
  dirs.push(dir);
  return dir;
}

function start(args: string[], env?: Record<string, string>, cwd?: string): CliProcess {
  const p = runCli(args, { env, cwd });
  running.push(p);
  return p;
}

/** A stand-in for systemd's notification socket, read until the test ends. */
async function notifySocket(socketPath: string): Promise<DatagramSocket> {
  const socket = await datagramSocket(socketPath);
  others.push(socket.process);
  return socket;
}

async function info(port: number, field: string): Promise<string> {
  const c = await RawClient.connect(port);
  const reply = (await c.call('INFO', 'server')).toString('latin1');
  c.close();
  return new RegExp(`^${field}:(.*)\r$`, 'm').exec(reply)?.[1] ?? '';
}

function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').replace(/\0/g, ' ');
}

describe('supervised systemd', () => {
  test('STATUS and READY=1 reach NOTIFY_SOCKET once the server listens, STOPPING=1 at SHUTDOWN', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'notify');
    const sd = await notifySocket(socketPath);
    const port = await freePort();
    // daemonize yes is ignored under supervision, as in Redis: the process stays in the foreground.
    const p = start(['--port', String(port), '--save', '', '--supervised', 'systemd', '--daemonize', 'yes'], { NOTIFY_SOCKET: socketPath });
    await sd.waitFor('READY=1\n');
    expect(sd.messages()).toEqual(['STATUS=lapse is loading...\n', 'STATUS=Ready to accept connections\n', 'READY=1\n']);
    expect(p.output()).toContain('Supervised by systemd.');
    // redis-server, supervised the same way, sends the same (its own name in the first).
    const redisSocket = await notifySocket(path.join(dir, 'redis-notify'));
    const redisPort = await freePort();
    const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--supervised', 'systemd'], { env: { ...process.env, NOTIFY_SOCKET: path.join(dir, 'redis-notify') }, stdio: 'ignore' });
    others.push(redis);
    await redisSocket.waitFor('READY=1\n');
    expect(redisSocket.messages()).toEqual(['STATUS=Redis is loading...\n', 'STATUS=Ready to accept connections\n', 'READY=1\n']);
    expect(await info(redisPort, 'process_supervised')).toBe('systemd');
    const rc = await RawClient.connect(redisPort);
    await rc.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    rc.close();
    await redisSocket.waitFor('STOPPING=1\n');
    expect(p.child.exitCode).toBe(null);
    expect(await info(port, 'process_supervised')).toBe('systemd');
    const c = await RawClient.connect(port);
    await c.call('SHUTDOWN').catch(() => undefined);
    c.close();
    expect(await p.exited()).toBe(0);
    await sd.waitFor('STOPPING=1\n');
  });

  test('supervised auto with NOTIFY_SOCKET is systemd; without it, no supervision', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'notify');
    const sd = await notifySocket(socketPath);
    const port = await freePort();
    start(['--port', String(port), '--save', '', '--supervised', 'auto'], { NOTIFY_SOCKET: socketPath });
    await sd.waitFor('READY=1\n');
    const port2 = await freePort();
    const plain = start(['--port', String(port2), '--save', '', '--supervised', 'auto']);
    await plain.waitFor('Ready to accept connections');
    expect(await info(port2, 'process_supervised')).toBe('no');
  });

  test('systemd without NOTIFY_SOCKET: Redis\'s warning, and the server runs unsupervised', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '', '--supervised', 'systemd']);
    await p.waitFor('Ready to accept connections');
    expect(p.output()).toContain('systemd supervision error: NOTIFY_SOCKET not found!');
    expect(await info(port, 'process_supervised')).toBe('no');
  });
});

describe('supervised upstart', () => {
  test('the process stops itself (SIGSTOP) and goes on to listen once continued', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '', '--supervised', 'upstart'], { UPSTART_JOB: 'lapse' });
    const pid = p.child.pid!;
    const state = () => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    };
    const deadline = Date.now() + 15_000;
    while (state() !== 'T') {
      if (Date.now() > deadline) throw new Error(`never stopped; output: ${p.output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(p.output()).not.toContain('Ready to accept connections');
    process.kill(pid, 'SIGCONT');
    await p.waitFor('Ready to accept connections');
    expect(await info(port, 'process_supervised')).toBe('upstart');
  });
});

describe('process title', () => {
  test('set-proc-title yes: the template with the listen address, changed by CONFIG SET', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '', '--bind', '127.0.0.1']);
    await p.waitFor('Ready to accept connections');
    expect(cmdline(p.child.pid!)).toMatch(new RegExp(`cli\\.ts 127\\.0\\.0\\.1:${port}$`));
    const c = await RawClient.connect(port);
    expect((await c.call('CONFIG', 'SET', 'proc-title-template', 'lapse-{port} {{x')).toString()).toBe('+OK\r\n');
    c.close();
    expect(cmdline(p.child.pid!)).toBe(`lapse-${port} {x`);
  });

  test('set-proc-title no leaves the command line alone', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '', '--set-proc-title', 'no']);
    await p.waitFor('Ready to accept connections');
    expect(cmdline(p.child.pid!)).toContain('--set-proc-title no');
  });

  test('an invalid template is refused at start-up with Redis\'s words', async () => {
    const p = start(['--proc-title-template', '{title} {nosuch}']);
    expect(await p.exited()).toBe(1);
    expect(p.output()).toContain('template format is invalid or contains unknown variables');
  });
});

describe('signals', () => {
  test('shutdown-on-sigterm save: SIGTERM saves even without save points', async () => {
    const dir = tempDir();
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '', '--dir', dir, '--shutdown-on-sigterm', 'save'], undefined, dir);
    await p.waitFor('Ready to accept connections');
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
  });

  test('shutdown-on-sigint default: SIGINT without save points saves nothing', async () => {
    const dir = tempDir();
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '', '--dir', dir], undefined, dir);
    await p.waitFor('Ready to accept connections');
    p.child.kill('SIGINT');
    expect(await p.exited()).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(false);
  });
});

describe('parameters with no effect', () => {
  test('one warning line at start-up names those the configuration set, and only those', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'lapse.conf');
    fs.writeFileSync(file, 'io-threads 4\ndynamic-hz yes\nhz 20\n');
    const port = await freePort();
    const p = start([file, '--port', String(port), '--save', '', '--disable-thp', 'no', '--lazyfree-lazy-user-del', 'yes']);
    await p.waitFor('Ready to accept connections');
    const warnings = p.output().split('\n').filter((l) => l.includes('no effect'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /# WARNING: these parameters have no effect in lapse and are only stored: io-threads, disable-thp, lazyfree-lazy-user-del, dynamic-hz$/,
    );
    expect(await info(port, 'hz')).toBe('20');
  });

  test('no warning when none is set', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '']);
    await p.waitFor('Ready to accept connections');
    expect(p.output()).not.toContain('no effect');
  });
});

describe('crash-log-enabled', () => {
  /** The CLI's main() in a process that then throws, as a bug in lapse would. */
  async function crash(extra: string[]): Promise<{ code: number | null; log: string }> {
    const dir = tempDir();
    const log = path.join(dir, 'lapse.log');
    const port = await freePort();
    const args = ['--port', String(port), '--save', '', '--logfile', log, ...extra];
    const code = [
      `const { main } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../../src/cli.ts'))});`,
      `await main(${JSON.stringify(args)});`,
      "setTimeout(() => { throw new Error('boom from the test'); }, 10);",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    others.push(child);
    const exit = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    return { code: exit, log: fs.readFileSync(log, 'latin1') };
  }

  test('yes (the default): an uncaught exception is written to the log before the process exits', async () => {
    const r = await crash([]);
    expect(r.code).not.toBe(0);
    expect(r.log).toContain('Ready to accept connections');
    expect(r.log).toMatch(/# === LAPSE BUG REPORT ===\nError: boom from the test\n {4}at /);
  });

  test('no: the log has no report', async () => {
    const r = await crash(['--crash-log-enabled', 'no']);
    expect(r.code).not.toBe(0);
    expect(r.log).not.toContain('boom');
  });
});

describe('always-show-logo', () => {
  test("yes: lapse's own logo once the server listens, with the version, port and pid", async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '', '--always-show-logo', 'yes']);
    await p.waitFor('Ready to accept connections');
    expect(p.output()).toContain(`lapse `);
    expect(p.output()).toMatch(new RegExp(`\\\\ ::::::: /\\s+lapse \\d+\\.\\d+\\.\\d+, Redis 7\\.0 compatible, 64 bit\\n`));
    expect(p.output()).toMatch(new RegExp(`\\) \\. \\(\\s+Port: ${port}\\n`));
    expect(p.output()).toContain(`PID: ${p.child.pid}\n`);
    expect(p.output()).not.toContain('Running mode=');
  });

  test("no, and stdout not a terminal: Redis's one line instead", async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--save', '']);
    await p.waitFor('Ready to accept connections');
    expect(p.output()).toMatch(new RegExp(`^\\d+:M .* \\* Running mode=standalone, port=${port}\\.$`, 'm'));
    expect(p.output()).not.toContain('Redis 7.0 compatible');
  });
});
