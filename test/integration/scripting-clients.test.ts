import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';

/**
 * Scripts as real clients send them: ioredis's defineCommand (EVALSHA, then EVAL on
 * NOSCRIPT), node-redis's scriptLoad/evalSha/eval and its function commands, and
 * redis-py's Lock (Debian's python3-redis), whose acquire/extend/release are Lua scripts.
 */
const lapse = suiteServer();
const run = promisify(execFile);

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

describe('ioredis', () => {
  test('defineCommand: EVALSHA falls back to EVAL once, then hits the cache', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', maxRetriesPerRequest: 0 }) as IORedis & {
      releaseLock(key: string, token: string): Promise<number>;
    };
    try {
      await r.script('FLUSH');
      r.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE });
      await r.set('io:lock', 'me', 'PX', 30000, 'NX');
      expect(await r.releaseLock('io:lock', 'someone-else')).toBe(0);
      expect(await r.releaseLock('io:lock', 'me')).toBe(1);
      expect(await r.exists('io:lock')).toBe(0);
      const [exists] = (await r.script('EXISTS', (await r.script('LOAD', RELEASE)) as string)) as number[];
      expect(exists).toBe(1);
      await expect(r.eval('return redis.call("nosuch")', 0)).rejects.toThrow('Unknown Redis command called from script');
    } finally {
      r.disconnect();
    }
  });
});

describe('node-redis', () => {
  test('scriptLoad, evalSha, eval with keys and arguments', async () => {
    const c = createClient({ socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
    await c.connect();
    try {
      const sha = await c.scriptLoad('return {KEYS[1], ARGV[1], redis.call("incrby", KEYS[1], ARGV[1])}');
      expect(await c.evalSha(sha, { keys: ['nr:counter'], arguments: ['5'] })).toEqual(['nr:counter', '5', 5]);
      expect(await c.eval('return redis.call("get", KEYS[1])', { keys: ['nr:counter'] })).toBe('5');
      await expect(c.evalSha('0'.repeat(40))).rejects.toThrow('NOSCRIPT');
    } finally {
      await c.quit();
    }
  });
});

describe('functions through the clients', () => {
  const LIBRARY = [
    '#!lua name=sessions',
    "redis.register_function('touch', function(keys, args) return redis.call('pexpire', keys[1], args[1]) end)",
    "redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
  ].join('\n');

  test('node-redis: functionLoad, fCall, fCallRo, functionList, functionDump and functionRestore', async () => {
    const c = createClient({ socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
    await c.connect();
    try {
      await c.functionFlush();
      expect(await c.functionLoad(LIBRARY)).toBe('sessions');
      await c.set('nr:sess', 'data');
      expect(await c.fCall('touch', { keys: ['nr:sess'], arguments: ['60000'] })).toBe(1);
      expect(await c.fCallRo('peek', { keys: ['nr:sess'] })).toBe('data');
      await expect(c.fCallRo('touch', { keys: ['nr:sess'], arguments: ['1'] })).rejects.toThrow('Can not execute a script with write flag using *_ro command.');
      const list = JSON.stringify(await c.functionList());
      expect(list).toContain('sessions');
      expect(list).toContain('no-writes');
      const dump = await c.withTypeMapping({ [36]: Buffer }).functionDump();
      await c.functionFlush();
      expect(await c.functionRestore(dump as Buffer)).toBe('OK');
      expect(await c.fCallRo('peek', { keys: ['nr:sess'] })).toBe('data');
    } finally {
      await c.functionFlush();
      await c.quit();
    }
  });

  test('ioredis: FUNCTION LOAD and FCALL as plain commands', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try {
      await r.call('FUNCTION', 'FLUSH');
      expect(await r.call('FUNCTION', 'LOAD', LIBRARY)).toBe('sessions');
      await r.set('io:sess', 'data');
      expect(await r.call('FCALL', 'touch', 1, 'io:sess', 60000)).toBe(1);
      expect(await r.call('FCALL_RO', 'peek', 1, 'io:sess')).toBe('data');
      await expect(r.call('FCALL', 'nosuch', 0)).rejects.toThrow('Function not found');
      await r.call('FUNCTION', 'FLUSH');
    } finally {
      r.disconnect();
    }
  });
});

describe('redis-py', () => {
  test("Lock: acquire, extend, release, and a second holder refused (python3-redis's Lua scripts)", async () => {
    const script = `
import redis, sys
r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
lock = r.lock('py:lock', timeout=10)
assert lock.acquire(blocking=False)
other = r.lock('py:lock', timeout=10)
assert not other.acquire(blocking=False)
assert lock.extend(5)
assert 10000 < r.pttl('py:lock') <= 15000
lock.reacquire()
lock.release()
assert r.exists('py:lock') == 0
assert lock.acquire(blocking=False)
r.set('py:lock', 'stolen')
try:
    lock.release()
    raise SystemExit('released a lock it no longer owns')
except redis.exceptions.LockNotOwnedError:
    pass
assert r.get('py:lock') == b'stolen'
print('ok')
`;
    const { stdout } = await run('/usr/bin/python3', ['-c', script, String(lapse.port)], { timeout: 20000 });
    expect(stdout.trim()).toBe('ok');
  });
});
