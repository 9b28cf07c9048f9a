import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';

const running: CliProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});

function start(args: string[]): CliProcess {
  const p = runCli(args);
  running.push(p);
  return p;
}

describe('lapse CLI', () => {
  test('starts, logs one ready line with the address, answers PING, SIGTERM exits 0', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--bind', '127.0.0.1']);
    await p.waitFor(`Ready to accept connections on 127.0.0.1:${port}`);
    expect(p.output().match(/Ready to accept connections/g)).toHaveLength(1);
    const c = await RawClient.connect(port);
    expect((await c.call('PING')).toString()).toBe('+PONG\r\n');
    c.close();
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
    expect(p.output()).toContain('Received SIGTERM');
  });

  test('SIGHUP is ignored, as redis-server ignores it: both keep serving', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--bind', '127.0.0.1']);
    await p.waitFor('Ready to accept connections');
    const redis = await startRedis();
    try {
      for (const [target, child] of [[port, p.child], [redis.port, redis.process]] as const) {
        child.kill('SIGHUP');
        await new Promise((r) => setTimeout(r, 200));
        expect(child.exitCode).toBe(null);
        const c = await RawClient.connect(target);
        expect((await c.call('PING')).toString()).toBe('+PONG\r\n'); // exact, both
        c.close();
      }
    } finally {
      await redis.stop();
    }
  });

  test('SIGINT closes listeners and clients and exits 0', async () => {
    const port = await freePort();
    const p = start(['--port', String(port), '--bind', '127.0.0.1']);
    await p.waitFor('Ready to accept connections');
    const c = await RawClient.connect(port);
    p.child.kill('SIGINT');
    expect(await p.exited()).toBe(0);
    await c.waitClosed();
    await expect(RawClient.connect(port)).rejects.toThrow();
  });

  test('defaults are port 6379 on loopback', async () => {
    const port = await freePort();
    // Only the port is overridden (6379 may be taken on this machine).
    const p = start(['--port', String(port)]);
    await p.waitFor('Ready to accept connections');
    const c = await RawClient.connect(port);
    expect((await c.call('CONFIG', 'GET', 'bind')).toString('latin1')).toContain('127.0.0.1 -::1');
    c.close();
    expect(p.output()).toContain(`127.0.0.1:${port}`);
  });

  test('a config file, then command-line options that win', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-cli-'));
    const file = path.join(dir, 'lapse.conf');
    const filePort = await freePort();
    const port = await freePort();
    fs.writeFileSync(file, `# a comment\nport ${filePort}\nbind 127.0.0.1\ndatabases 4\n\nloglevel "notice"\n`);
    const p = start([file, '--port', String(port)]);
    await p.waitFor(`Ready to accept connections on 127.0.0.1:${port}`);
    const c = await RawClient.connect(port);
    expect((await c.call('SELECT', '3')).toString()).toBe('+OK\r\n');
    expect((await c.call('SELECT', '4')).toString()).toBe('-ERR DB index is out of range\r\n');
    c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an invalid option value is refused with Redis wording and exit code 1', async () => {
    const p = start(['--port', 'abc']);
    expect(await p.exited()).toBe(1);
    expect(p.output()).toContain('FATAL CONFIG FILE ERROR');
    expect(p.output()).toContain(">>> 'port abc'");
    expect(p.output()).toContain("argument couldn't be parsed into an integer");
  });

  test('an unknown directive is refused', async () => {
    const p = start(['--no-such-option', 'x']);
    expect(await p.exited()).toBe(1);
    expect(p.output()).toContain('Bad directive or wrong number of arguments');
  });

  test('a missing config file is one line and exit code 1', async () => {
    const p = start(['/nonexistent/lapse.conf']);
    expect(await p.exited()).toBe(1);
    expect(p.output().trim().split('\n')).toHaveLength(1);
    expect(p.output()).toContain("can't open config file '/nonexistent/lapse.conf'");
  });

  test("an address already in use: Redis's log lines, then a one-line error naming the port, exit code 1", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const p = start(['--port', String(port), '--bind', '127.0.0.1']);
      expect(await p.exited()).toBe(1);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(new RegExp(`# Warning: Could not create server TCP listening socket 127\\.0\\.0\\.1:${port}: bind: Address already in use$`));
      expect(lines[1]).toMatch(new RegExp(`# Failed listening on port ${port} \\(TCP\\), aborting\\.$`));
      expect(lines[2]).toBe(`Could not listen on 127.0.0.1:${port}: bind: Address already in use`);
    } finally {
      blocker.close();
    }
  });

  test('--version and --help', async () => {
    const v = start(['--version']);
    expect(await v.exited()).toBe(0);
    expect(v.output()).toMatch(/^lapse v=\d+\.\d+\.\d+/);
    const h = start(['--help']);
    expect(await h.exited()).toBe(0);
    expect(h.output()).toContain('Usage: lapse');
  });
});
