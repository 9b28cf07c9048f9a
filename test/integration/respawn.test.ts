import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { bundleCli } from '../helpers/bundle.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { v8FlagsFor } from '../../src/respawn.js';
import { Config, argvToConfig, loadConfigText } from '../../src/config/config.js';
import { outputBufferLimitsOf } from '../../src/config/output-limits.js';

/**
 * The V8 flags that follow maxmemory (src/respawn.ts): which ones, and the CLI's restart
 * of node with them (one child; signals forwarded; its exit status passed on; it exits
 * if the parent dies; none with LAPSE_NO_RESPAWN=1 or the flags already given). Also
 * client-output-buffer-limit from the command line and a config file.
 */

const MB = 1024 * 1024;

describe('the flags for a maxmemory', () => {
  test('a young generation sized to maxmemory; a heap limit raised only when needed', () => {
    const limit = 4096 * MB;
    expect(v8FlagsFor(0, limit)).toEqual([]);
    expect(v8FlagsFor(100 * MB, limit)).toEqual(['--max-semi-space-size=2']);
    expect(v8FlagsFor(10 * MB, limit)).toEqual(['--max-semi-space-size=1']);
    expect(v8FlagsFor(512 * MB, limit)).toEqual(['--max-semi-space-size=8']);
    expect(v8FlagsFor(2048 * MB, limit)).toEqual([]);
    expect(v8FlagsFor(4096 * MB, limit)).toEqual(['--max-old-space-size=5376']);
    expect(v8FlagsFor(8 * 1024 * MB, limit)).toEqual(['--max-old-space-size=10496']);
    expect(v8FlagsFor(100 * MB, 64 * MB)).toEqual(['--max-semi-space-size=2', '--max-old-space-size=381']);
  });
});

describe('client-output-buffer-limit from the command line and config files', () => {
  test('several words are one value; later lines set only their classes', () => {
    const config = new Config();
    const { text } = argvToConfig(['--client-output-buffer-limit', 'pubsub', '1mb', '2mb', '3', 'normal', '4', '5', '6']);
    loadConfigText(config, text + '\nclient-output-buffer-limit replica 7 8 9\n', 'test');
    expect(config.string('client-output-buffer-limit')).toBe('normal 4 5 6 slave 7 8 9 pubsub 1048576 2097152 3');
    expect(outputBufferLimitsOf(config.string('client-output-buffer-limit')).pubsub).toEqual({ hard: MB, soft: 2 * MB, softSeconds: 3 });
    expect(() => loadConfigText(config, 'client-output-buffer-limit master 1 2 3', 'test')).toThrow(/Invalid client class specified in buffer limit configuration\./);
  });
});

describe('the CLI restarts node with them', () => {
  let cli = '';
  beforeAll(() => {
    cli = bundleCli();
  });

  function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; ready: Promise<void> } {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-respawn-'));
    const child = spawn(process.execPath, [cli, '--bind', '127.0.0.1', '--save', '', ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const ready = (async () => {
      const until = Date.now() + 15_000;
      while (!out.includes('Ready to accept connections')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    return { child, output: () => out, ready };
  }

  async function serverPid(port: number): Promise<number> {
    const c = await RawClient.connect(port);
    const info = (await c.call('INFO', 'server')).toString();
    c.close();
    return Number(/process_id:(\d+)/.exec(info)![1]);
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  async function gone(pid: number): Promise<void> {
    const until = Date.now() + 10_000;
    while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 30));
    expect(alive(pid)).toBe(false);
  }

  test('SIGTERM reaches the server, which shuts down; the parent exits with its status', async () => {
    const port = await freePort();
    // The process title would replace the command line this reads (set-proc-title).
    const s = start(['--port', String(port), '--maxmemory', '64mb', '--set-proc-title', 'no']);
    await s.ready;
    const pid = await serverPid(port);
    expect(pid).not.toBe(s.child.pid);
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')).toContain('--max-semi-space-size=1');
    const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
    s.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(s.output()).toContain('Received SIGTERM, scheduling shutdown...');
    await gone(pid);
  });

  test('the server exits when the parent is killed outright', async () => {
    const port = await freePort();
    const s = start(['--port', String(port), '--maxmemory', '64mb']);
    await s.ready;
    const pid = await serverPid(port);
    s.child.kill('SIGKILL');
    await gone(pid);
  });

  test('no restart with LAPSE_NO_RESPAWN=1, with the flags already given, or without maxmemory', async () => {
    for (const [args, env] of [
      [['--maxmemory', '64mb'], { LAPSE_NO_RESPAWN: '1' }],
      [['--maxmemory', '64mb'], { NODE_OPTIONS: '--max-semi-space-size=1' }],
      [[], {}],
    ] as const) {
      const port = await freePort();
      const s = start(['--port', String(port), ...args], env);
      await s.ready;
      expect(await serverPid(port)).toBe(s.child.pid);
      const exited = new Promise((r) => s.child.once('exit', r));
      s.child.kill('SIGTERM');
      await exited;
    }
  });
});
