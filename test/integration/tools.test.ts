import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';

/**
 * Redis's own tools against lapse: redis-cli (rendering compared with the same command
 * against redis-server), redis-cli --pipe, redis-benchmark.
 */
let lapse: LapseServer;
let lapsePort = 0;
let redis: ReferenceRedis;

beforeAll(async () => {
  lapse = createServer({ port: 0, bind: '127.0.0.1' });
  lapsePort = (await lapse.listen()).port;
  redis = await startRedis();
});
afterAll(async () => {
  await lapse.close();
  await redis.stop();
});

function run(cmd: string, args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} timed out: ${out}\n${err}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

async function cliBoth(args: string[]): Promise<[string, string]> {
  const a = await run('redis-cli', ['-p', String(redis.port), ...args]);
  const b = await run('redis-cli', ['-p', String(lapsePort), ...args]);
  return [a.out + a.err, b.out + b.err];
}

describe('redis-cli', () => {
  test('non-interactive commands render as with redis-server', async () => {
    for (const cmd of [
      ['SET', 'cli:k', 'hello world'],
      ['GET', 'cli:k'],
      ['GET', 'cli:missing'],
      ['MSET', 'cli:a', '1', 'cli:b', '2'],
      ['MGET', 'cli:a', 'cli:missing', 'cli:b'],
      ['INCR', 'cli:a'],
      ['EXPIRE', 'cli:a', '100'],
      ['TTL', 'cli:a'],
      ['TYPE', 'cli:a'],
      ['NOSUCH', 'x'],
      ['GET'],
      ['CONFIG', 'GET', 'maxclients'],
      ['DEL', 'cli:a', 'cli:b', 'cli:k'],
    ]) {
      const [a, b] = await cliBoth(cmd);
      expect(b, cmd.join(' ')).toBe(a);
    }
  });

  test('-3 (RESP3) renders as with redis-server', async () => {
    await cliBoth(['SET', 'cli3:k', 'v']);
    for (const cmd of [['GET', 'cli3:k'], ['GET', 'cli3:none'], ['CONFIG', 'GET', 'databases'], ['MGET', 'cli3:k', 'cli3:none'], ['DEL', 'cli3:k']]) {
      const [a, b] = await cliBoth(['-3', ...cmd]);
      expect(b, cmd.join(' ')).toBe(a);
    }
  });

  test('--pipe of 100k commands', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const key = `pipe:${i}`;
      const value = `value-${i}`;
      lines.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
    }
    const { code, out } = await run('redis-cli', ['-p', String(lapsePort), '--pipe'], lines.join(''));
    expect(code).toBe(0);
    expect(out).toContain('errors: 0, replies: 100000');
    expect(lapse.keyspace.dbs[0]!.size).toBeGreaterThanOrEqual(100_000);
    const check = await run('redis-cli', ['-p', String(lapsePort), 'GET', 'pipe:99999']);
    expect(check.out.trim()).toBe('value-99999');
  });
});

describe('redis-benchmark', () => {
  test('ping, set, get, incr, mset complete without errors', async () => {
    const { code, out, err } = await run('redis-benchmark', [
      '-p', String(lapsePort), '-t', 'ping,set,get,incr,mset', '-n', '10000', '-q',
    ]);
    expect(err).not.toMatch(/error/i);
    expect(code).toBe(0);
    for (const name of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)']) {
      expect(out).toMatch(new RegExp(`${name.replace(/[()]/g, '\\$&')}: [0-9.]+ requests per second`));
    }
  });
});
