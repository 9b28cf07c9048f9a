import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { Redis as IORedis } from 'ioredis';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * ACL users as a deployment uses them: declared on the command line (`--user`, as Redis
 * accepts any directive there) or in a configuration file or an ACL file, and used by
 * real clients. The session store's own user may touch sess:* keys with read and write
 * commands and nothing else, and connect-redis works with it unchanged.
 */

const SESSION_USER = ['app', 'on', '>app-pw', '~sess:*', '+@read', '+@write', '-@dangerous'];

describe('users from the command line', () => {
  let cli: CliProcess;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--requirepass', 'admin-pw', '--user', ...SESSION_USER]);
    await cli.waitFor('Ready to accept connections');
  });
  afterAll(() => cli.kill());

  test('node-redis and ioredis authenticate with a user name', async () => {
    const nr = createClient({ socket: { port, host: '127.0.0.1' }, username: 'app', password: 'app-pw' });
    await nr.connect();
    expect(await nr.set('sess:1', 'x')).toBe('OK');
    expect(await nr.get('sess:1')).toBe('x');
    await expect(nr.set('other', 'x')).rejects.toThrow('NOPERM this user has no permissions to access one of the keys used as arguments');
    await expect(nr.flushAll()).rejects.toThrow("NOPERM this user has no permissions to run the 'flushall' command");
    await nr.del('sess:1');
    await nr.destroy();
    const io = new IORedis({ port, host: '127.0.0.1', username: 'app', password: 'app-pw', lazyConnect: true });
    await io.connect();
    expect(await io.set('sess:2', 'y', 'EX', 10)).toBe('OK');
    await expect(io.call('ACL', 'WHOAMI')).rejects.toThrow("NOPERM this user has no permissions to run the 'acl|whoami' command");
    expect(await io.del('sess:2')).toBe(1);
    io.disconnect();
    const wrong = new IORedis({ port, host: '127.0.0.1', username: 'app', password: 'nope', lazyConnect: true, retryStrategy: () => null });
    const errors: string[] = [];
    wrong.on('error', (e: Error) => errors.push(e.message));
    await expect(wrong.connect()).rejects.toThrow();
    expect(errors[0]).toContain('WRONGPASS invalid username-password pair or user is disabled.');
    wrong.disconnect();
    const admin = new IORedis({ port, host: '127.0.0.1', password: 'admin-pw', lazyConnect: true });
    await admin.connect();
    expect(await admin.call('ACL', 'WHOAMI')).toBe('default');
    expect(await admin.call('ACL', 'USERS')).toEqual(['app', 'default']);
    expect(await admin.call('ACL', 'DRYRUN', 'app', 'GET', 'x')).toBe("This user has no permissions to access the 'x' key");
    admin.disconnect();
  });

  test('connect-redis keeps sessions with the restricted user', async () => {
    const client = createClient({ socket: { port, host: '127.0.0.1' }, username: 'app', password: 'app-pw' });
    await client.connect();
    try {
      const store = new RedisStore({ client });
      const call = <T>(f: (done: (err: unknown, value?: T) => void) => void) =>
        new Promise<T>((resolve, reject) => f((err, value) => (err ? reject(err) : resolve(value as T))));
      const cookie = { originalMaxAge: 60_000, maxAge: 60_000, expires: new Date(Date.now() + 60_000) } as session.Cookie;
      await call<void>((done) => store.set('s1', { cookie, user: 'ann' } as session.SessionData, done));
      await call<void>((done) => store.set('s2', { cookie, user: 'bob' } as session.SessionData, done));
      const s1 = await call<session.SessionData & { user: string }>((done) => store.get('s1', done as never));
      expect(s1.user).toBe('ann');
      await call<void>((done) => store.touch('s1', { cookie, user: 'ann' } as session.SessionData, done));
      expect(await client.ttl('sess:s1')).toBeGreaterThan(55);
      expect(await call<number>((done) => store.length!(done as never))).toBe(2);
      const all = await call<session.SessionData[]>((done) => store.all!(done as never));
      expect(all.map((s) => (s as unknown as { user: string }).user).sort()).toEqual(['ann', 'bob']);
      await call<void>((done) => store.destroy('s2', done));
      expect(await client.exists('sess:s2')).toBe(0);
      await call<void>((done) => store.clear!(done));
      expect(await client.exists('sess:s1')).toBe(0);
    } finally {
      await client.destroy();
    }
  });
});

describe('users from files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-users-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('user lines in the configuration file', async () => {
    const port = await freePort();
    const conf = path.join(dir, 'lapse.conf');
    fs.writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsave ""\nuser default off\nuser ${SESSION_USER.join(' ')}\n`);
    const cli = runCli([conf]);
    try {
      await cli.waitFor('Ready to accept connections');
      const c = await RawClient.connect(port);
      const text = async (...args: string[]) => (await c.call(...args)).toString('latin1');
      expect(await text('PING')).toBe('-NOAUTH Authentication required.\r\n');
      expect(await text('AUTH', 'x')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect(await text('AUTH', 'app', 'app-pw')).toBe('+OK\r\n');
      expect(await text('GET', 'sess:x')).toBe('$-1\r\n');
      expect(await text('GET', 'x')).toBe('-NOPERM this user has no permissions to access one of the keys used as arguments\r\n');
      c.close();
    } finally {
      cli.kill();
    }
  });

  test('an ACL file, ACL SAVE and a restart', async () => {
    const port = await freePort();
    const aclfile = path.join(dir, 'users.acl');
    fs.writeFileSync(aclfile, 'user default on nopass ~* &* +@all\n');
    let cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--aclfile', aclfile]);
    try {
      await cli.waitFor('Ready to accept connections');
      const io = new IORedis({ port, host: '127.0.0.1', lazyConnect: true });
      await io.connect();
      expect(await io.call('ACL', 'SETUSER', ...SESSION_USER)).toBe('OK');
      expect(await io.call('ACL', 'SAVE')).toBe('OK');
      io.disconnect();
    } finally {
      cli.kill();
      await cli.exited();
    }
    expect(fs.readFileSync(aclfile, 'latin1')).toMatch(/^user app on #[0-9a-f]{64} ~sess:\* resetchannels -@all \+@string /);
    cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--aclfile', aclfile]);
    try {
      await cli.waitFor('Ready to accept connections');
      const io = new IORedis({ port, host: '127.0.0.1', username: 'app', password: 'app-pw', lazyConnect: true });
      await io.connect();
      expect(await io.set('sess:z', '1')).toBe('OK');
      await expect(io.set('z', '1')).rejects.toThrow('NOPERM');
      io.disconnect();
    } finally {
      cli.kill();
    }
  });

  test('a broken ACL file stops the start', async () => {
    const aclfile = path.join(dir, 'broken.acl');
    fs.writeFileSync(aclfile, 'user x on bogus\n');
    const cli = runCli(['--port', String(await freePort()), '--aclfile', aclfile]);
    expect(await cli.exited()).toBe(1);
    expect(cli.output()).toContain(`Aborting Redis startup because of ACL errors: ${aclfile}:1: Syntax error. WARNING: ACL errors detected`);
  });
});
