import crypto from 'node:crypto';
import { startServer, type ServerName } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { progress } from '../lib/progress.js';
import { redisBenchmarkCommand } from './redis-benchmark.js';
import type { ScenarioContext } from '../lib/context.js';

/**
 * Lua scripting (`--only scripting`): EVALSHA of the compare-and-delete lock release
 * every session store with locks sends (phpredis's session handler, redis-py's Lock,
 * Redlock): GET the lock key, DEL it if it holds the caller's token. Each server fresh per
 * round; 100,000 lock keys `lock:N` are first SET to the token by redis-benchmark (so early
 * releases find and delete their lock and later ones find it gone, on both servers alike),
 * then EVALSHA runs over the same random keys at P=1 and P=16.
 * Targets (issue 14): P=1 >= 0.8, P=16 >= 0.4 of Redis.
 */

export const LOCK_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export async function scripting(ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 3;
  const sha = crypto.createHash('sha1').update(LOCK_RELEASE).digest('hex');
  for (const pipeline of [1, 16]) {
    const goal = pipeline === 1 ? 0.8 : 0.4;
    const row = ctx.row(`redis-benchmark -c 50 -r 100000, P=${pipeline}`, 'EVALSHA lock release', 'ops/s', `ratio >= ${goal}`, (l, r) => l / r >= goal);
    const requests = ctx.quick ? 50_000 : pipeline === 1 ? 200_000 : 1_000_000;
    for (let round = 0; round < rounds; round++) {
      for (const name of (round % 2 === 0 ? ['lapse', 'redis'] : ['redis', 'lapse']) as ServerName[]) {
        progress(`scripting P=${pipeline} round ${round + 1}/${rounds}: ${name}`);
        const s = await startServer(name);
        try {
          const probe = await ProbeClient.connect(s.port);
          const loaded = await probe.command('SCRIPT', 'LOAD', LOCK_RELEASE);
          if (loaded !== sha) throw new Error(`${name}: SCRIPT LOAD answered ${loaded}, expected ${sha}`);
          probe.close();
          await redisBenchmarkCommand(s, { pipeline: 16, requests: 200_000 }, ['SET', 'lock:__rand_int__', 'token']);
          row[name].push(await redisBenchmarkCommand(s, { pipeline, requests }, ['EVALSHA', sha, '1', 'lock:__rand_int__', 'token']));
        } finally {
          await s.stop();
        }
      }
    }
    ctx.finish(row);
  }
}
