import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleCli } from '../helpers/bundle.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * maxclients against the open-file limit, differentially: redis-server 7.0 and the lapse
 * CLI started under the same lowered `ulimit -n` with maxclients 20000 (more than the
 * limit allows), then CONFIG SET maxclients, then a limit lowered from outside
 * (prlimit) and raised again by the server. Compared: CONFIG GET maxclients, the
 * replies, Redis's log lines (the message part), and what clients beyond the limit get.
 *
 * This machine's processes cannot raise their hard limit (no CAP_SYS_RESOURCE, even as
 * root); the test checks that first, since with it both servers would raise the limit
 * instead.
 */

const cli = bundleCli();

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs argv under `sh -c 'ulimit <ulimit>; exec ...'` and waits for the ready line. */
async function startUnder(ulimit: string, argv: string[], port: number): Promise<Started> {
  const child = spawn('sh', ['-c', `ulimit ${ulimit} && exec "$@"`, 'sh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const until = Date.now() + 15_000;
  while (!out.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`${argv[0]} did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    port,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function startRedisUnder(ulimit: string, extra: string[]): Promise<Started> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-maxclients-'));
  return startUnder(ulimit, ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], port);
}

async function startLapseUnder(ulimit: string, extra: string[]): Promise<Started> {
  const port = await freePort();
  return startUnder(ulimit, [process.execPath, cli, '--port', String(port), '--bind', '127.0.0.1', '--save', '', ...extra], port);
}

/** The messages of the log lines about open files and maxclients, in order. */
function limitLines(output: string): string[] {
  return output
    .split('\n')
    .map((l) => /^\d+:[A-Z] .*? [#*\-.] (.*)$/.exec(l)?.[1])
    .filter((m): m is string => m !== undefined && /open files|maxclients|ulimit|Failed applying/.test(m));
}

function softLimit(pid: number): number {
  return Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'latin1'))![1]);
}

function hardLimit(): number {
  return Number(/^Max open files\s+\S+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'latin1'))![1]);
}

beforeAll(() => {
  // Both servers would raise the limit if they could raise the hard limit: check they cannot.
  const r = spawnSync('sh', ['-c', 'ulimit -n 256 && ulimit -n 300']);
  expect(r.status, 'this machine lets a process raise its hard open-file limit').not.toBe(0);
});

describe("under 'ulimit -n 256' with maxclients 20000", () => {
  let redis: Started;
  let lapse: Started;
  beforeAll(async () => {
    redis = await startRedisUnder('-n 256', ['--maxclients', '20000']);
    lapse = await startLapseUnder('-n 256', ['--maxclients', '20000']);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    await lapse?.stop();
  });

  test("maxclients is lowered to the limit less 32, with Redis's log lines", async () => {
    for (const s of [redis, lapse]) {
      const c = await RawClient.connect(s.port);
      expect((await c.call('CONFIG', 'GET', 'maxclients')).toString()).toBe('*2\r\n$10\r\nmaxclients\r\n$3\r\n224\r\n');
      expect((await c.call('INFO', 'clients')).toString()).toContain('\r\nmaxclients:224\r\n');
      c.close();
    }
    expect(limitLines(lapse.output())).toEqual(limitLines(redis.output()));
    expect(limitLines(redis.output())).toEqual([
      'You requested maxclients of 20000 requiring at least 20032 max file descriptors.',
      "Server can't set maximum open files to 20032 because of OS error: Operation not permitted.",
      "Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
    ]);
  });

  test('CONFIG SET maxclients beyond the limit is refused, naming what it allows; within it, accepted', async () => {
    const replies: string[][] = [];
    for (const s of [redis, lapse]) {
      const c = await RawClient.connect(s.port);
      const r: string[] = [];
      for (const value of ['300', '225', '100', '224']) r.push((await c.call('CONFIG', 'SET', 'maxclients', value)).toString());
      r.push((await c.call('CONFIG', 'GET', 'maxclients')).toString());
      replies.push(r);
      c.close();
    }
    expect(replies[1]).toEqual(replies[0]);
    expect(replies[0]).toEqual([
      "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 224\r\n",
      "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 224\r\n",
      '+OK\r\n',
      '+OK\r\n',
      '*2\r\n$10\r\nmaxclients\r\n$3\r\n224\r\n',
    ]);
    expect(limitLines(lapse.output())).toEqual(limitLines(redis.output()));
    expect(limitLines(redis.output())).toContain('Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.');
  });

  test('clients beyond the limit get "-ERR max number of clients reached", not a silent close', async () => {
    const outcomes: { served: number; refused: number; other: number }[] = [];
    for (const s of [redis, lapse]) {
      const sockets: net.Socket[] = [];
      const answers: Promise<string>[] = [];
      for (let i = 0; i < 260; i++) {
        const socket = net.connect(s.port, '127.0.0.1');
        sockets.push(socket);
        answers.push(
          new Promise<string>((resolve) => {
            let got = '';
            socket.on('data', (d) => {
              got += d.toString('latin1');
              if (got.endsWith('\r\n')) resolve(got);
            });
            socket.on('error', () => resolve(`${got}<error>`));
            socket.on('close', () => resolve(`${got}<closed>`));
            setTimeout(() => resolve(`${got}<nothing>`), 5000);
          }),
        );
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('error', () => resolve()));
      }
      // Every accepted client asks; a refused one has its answer already.
      for (const socket of sockets) socket.write('PING\r\n');
      const got = await Promise.all(answers);
      outcomes.push({
        served: got.filter((a) => a === '+PONG\r\n').length,
        refused: got.filter((a) => a.startsWith('-ERR max number of clients reached\r\n')).length,
        other: got.filter((a) => a !== '+PONG\r\n' && !a.startsWith('-ERR max number of clients reached\r\n')).length,
      });
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
    // 260 connections: past the descriptors the process has (256), a silent close would show as "other".
    expect(outcomes[0]).toEqual({ served: 224, refused: 36, other: 0 });
  }, 30_000);
});

test('a soft limit lowered from outside is raised again by CONFIG SET maxclients, as Redis raises it', async () => {
  const hard = hardLimit();
  const redis = await startRedisUnder('-n ' + hard, []);
  const lapse = await startLapseUnder('-n ' + hard, []);
  try {
    for (const s of [redis, lapse]) {
      expect(spawnSync('prlimit', ['--pid', String(s.child.pid), `--nofile=256:${hard}`]).status).toBe(0);
      expect(softLimit(s.child.pid!)).toBe(256);
      const c = await RawClient.connect(s.port);
      expect((await c.call('CONFIG', 'SET', 'maxclients', '5000')).toString()).toBe('+OK\r\n');
      expect((await c.call('CONFIG', 'GET', 'maxclients')).toString()).toBe('*2\r\n$10\r\nmaxclients\r\n$4\r\n5000\r\n');
      c.close();
      expect(softLimit(s.child.pid!)).toBe(5032);
    }
    expect(limitLines(lapse.output())).toEqual(limitLines(redis.output()));
    expect(limitLines(redis.output())).toEqual(['Increased maximum number of open files to 5032 (it was originally set to 256).']);
  } finally {
    await redis.stop();
    await lapse.stop();
  }
}, 30_000);
