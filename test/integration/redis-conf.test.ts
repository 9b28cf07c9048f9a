import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';
import { text } from '../helpers/reply-parts.js';

/**
 * lapse starts on Debian's /etc/redis/redis.conf (Redis 7.0.15's shipped file) unchanged,
 * with only port, dir, daemonize, pidfile and logfile overridden on the command line, as
 * redis-server started the same way: the pid file holds the server's pid, the log file
 * gets the log, the parameters the file sets read back as Redis's do, and SHUTDOWN ends
 * the process and removes the pid file. Once in the foreground, once as a daemon.
 */

const REDIS_CONF = '/etc/redis/redis.conf';

/** Processes this file started that may outlive a failed test: stopped by their pid. */
const started: number[] = [];
const clis: CliProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of clis.splice(0)) c.kill();
  for (const pid of started.splice(0)) {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Whether the process runs (a zombie, which nothing reaps in a container, counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'latin1') : '');

/** The parameters the file sets, by name, in file order (each once). */
function fileParameters(): string[] {
  const names: string[] = [];
  for (const line of fs.readFileSync(REDIS_CONF, 'latin1').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const name = t.split(/\s+/)[0]!.toLowerCase();
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The scratch values that override the file (its port, dir, pid file and log file are the machine's). */
interface Scratch {
  dir: string;
  port: number;
  pidfile: string;
  logfile: string;
}

async function scratch(name: string): Promise<Scratch> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lapse-conf-${name}-`));
  dirs.push(dir);
  return { dir, port: await freePort(), pidfile: path.join(dir, `${name}.pid`), logfile: path.join(dir, `${name}.log`) };
}

function overrides(s: Scratch, daemonize: boolean): string[] {
  return ['--port', String(s.port), '--dir', s.dir, '--daemonize', daemonize ? 'yes' : 'no', '--pidfile', s.pidfile, '--logfile', s.logfile];
}

/** redis-server on the same file; resolves once its log says it is ready, with its pid. */
async function startRedisOn(s: Scratch, daemonize: boolean): Promise<number> {
  const child = spawn('redis-server', [REDIS_CONF, ...overrides(s, daemonize)], { cwd: s.dir, stdio: 'ignore' });
  if (child.pid) started.push(child.pid);
  await until('redis-server ready', () => read(s.logfile).includes('Ready to accept connections'));
  await until('redis-server pid file', () => read(s.pidfile) !== '');
  const pid = Number(read(s.pidfile).trim());
  started.push(pid);
  return pid;
}

async function value(c: RawClient, name: string): Promise<string> {
  const r = decodeReply(await c.call('CONFIG', 'GET', name))!.reply;
  if (r.type !== 'array' || r.value.length !== 2) throw new Error(`CONFIG GET ${name}: ${JSON.stringify(r)}`);
  return text(r.value[1]!);
}

/** SHUTDOWN: the server closes the connection instead of replying. */
async function shutdown(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  await c.call('SHUTDOWN').catch(() => undefined);
  c.close();
}

/** Both servers answer PING, and the parameters the file sets read back alike. */
async function compareWithRedis(lapse: Scratch, redis: Scratch, daemonize: boolean): Promise<void> {
  const l = await RawClient.connect(lapse.port);
  const r = await RawClient.connect(redis.port);
  try {
    expect((await l.call('PING')).toString()).toBe('+PONG\r\n');
    const own: Record<string, (s: Scratch) => string> = {
      port: (s) => String(s.port),
      dir: (s) => s.dir,
      daemonize: () => (daemonize ? 'yes' : 'no'),
      pidfile: (s) => s.pidfile,
      logfile: (s) => s.logfile,
    };
    const names = fileParameters();
    expect(names.length).toBeGreaterThan(60);
    for (const name of names) {
      if (own[name]) {
        expect(`${name}=${await value(l, name)}`).toBe(`${name}=${own[name](lapse)}`); // the override
        expect(`${name}=${await value(r, name)}`).toBe(`${name}=${own[name](redis)}`);
      } else {
        expect(`${name}=${await value(l, name)}`).toBe(`${name}=${await value(r, name)}`); // exact: as Redis
      }
    }
  } finally {
    l.close();
    r.close();
  }
}

describe("Debian's redis.conf, unchanged", () => {
  test('daemonize no: pid file, log file, parameters as redis-server, clean SHUTDOWN', async () => {
    const lapse = await scratch('lapse');
    const redis = await scratch('redis');
    await startRedisOn(redis, false);
    const cli = runCli([REDIS_CONF, ...overrides(lapse, false)], { cwd: lapse.dir });
    clis.push(cli);
    await until('lapse ready', () => read(lapse.logfile).includes('Ready to accept connections'));
    expect(cli.output()).toBe(''); // everything goes to the log file
    expect(read(lapse.pidfile)).toBe(`${cli.child.pid}\n`);
    await compareWithRedis(lapse, redis, false);

    const log = read(lapse.logfile);
    expect(log).toMatch(/^\d+:M \d+ \w{3} \d{4} [\d:.]+ # WARNING: these parameters have no effect in lapse/m);
    expect(log).toContain('Running mode=standalone, port=');

    await shutdown(lapse.port);
    expect(await cli.exited()).toBe(0);
    expect(fs.existsSync(lapse.pidfile)).toBe(false);
    expect(read(lapse.logfile)).toContain('Removing the pid file.');
    await shutdown(redis.port);
    await until('redis-server gone', () => !fs.existsSync(redis.pidfile));
  });

  test('daemonize yes: the command returns once the daemon listens; its pid in the pid file; clean SHUTDOWN', async () => {
    const lapse = await scratch('lapse');
    const redis = await scratch('redis');
    await startRedisOn(redis, true);
    const cli = runCli([REDIS_CONF, ...overrides(lapse, true)], { cwd: lapse.dir });
    clis.push(cli);
    expect(await cli.exited()).toBe(0);
    expect(cli.output()).toBe('');
    // The daemon wrote its pid file before reporting that it listens.
    const pid = Number(read(lapse.pidfile).trim());
    started.push(pid);
    expect(pid).not.toBe(cli.child.pid);
    expect(alive(pid)).toBe(true);
    expect(read(lapse.logfile)).toContain('Ready to accept connections');
    // A session of its own, away from the terminal that started it.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1').slice(fs.readFileSync(`/proc/${pid}/stat`, 'latin1').lastIndexOf(')') + 2).split(' ');
    expect(Number(stat[3])).toBe(pid); // its session id (setsid)
    await compareWithRedis(lapse, redis, true);

    await shutdown(lapse.port);
    await until('the daemon gone', () => !alive(pid));
    expect(fs.existsSync(lapse.pidfile)).toBe(false);
    expect(read(lapse.logfile)).toContain('lapse is now ready to exit, bye bye...');
    await shutdown(redis.port);
    await until('redis-server gone', () => !fs.existsSync(redis.pidfile));
  });

  test('a daemon that cannot listen: the command says why and exits 1, no pid file', async () => {
    const lapse = await scratch('lapse');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(lapse.port, '127.0.0.1', () => resolve()));
    try {
      const cli = runCli([REDIS_CONF, ...overrides(lapse, true)], { cwd: lapse.dir });
      clis.push(cli);
      expect(await cli.exited()).toBe(1);
      expect(cli.output().trim()).toBe(`Could not listen on 127.0.0.1:${lapse.port}: bind: Address already in use`);
      expect(fs.existsSync(lapse.pidfile)).toBe(false);
      expect(read(lapse.logfile)).toContain(`Could not listen on 127.0.0.1:${lapse.port}`);
    } finally {
      blocker.close();
    }
  });

  test('a directive of a missing feature at another value does not start the server', async () => {
    const lapse = await scratch('lapse');
    const cli = runCli([REDIS_CONF, ...overrides(lapse, true), '--appendonly', 'yes'], { cwd: lapse.dir });
    clis.push(cli);
    expect(await cli.exited()).toBe(1);
    expect(cli.output()).toContain(">>> 'appendonly yes'");
    expect(cli.output()).toContain("lapse does not implement the append-only file (AOF) yet, so only 'no' is accepted");
    expect(fs.existsSync(lapse.pidfile)).toBe(false);
  });
});
