import { run, startServer, type ServerName } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { RSS_SETTLED, settled } from '../lib/settle.js';
import { progress } from '../lib/progress.js';
import { redisBenchmark } from './redis-benchmark.js';
import type { ScenarioContext } from '../lib/context.js';

/**
 * Lists, sets and sorted sets (`--only collections`):
 * - redis-benchmark's own collection tests (-t lpush,rpush,lpop,rpop,sadd,spop,zadd,
 *   zpopmin,lrange_100; -c 50 -d 230 -r 100000) at P=1 and P=16, each server fresh per
 *   round; targets as for strings: P=1 >= 0.9, P=16 >= 0.6 of Redis.
 * - Memory per element of one key holding 1M members (a list of RPUSHed members, a set
 *   of non-integer members, so a hashtable, a sorted set, so a skiplist, and a hash, so
 *   a hashtable: members and fields `member:0000001`, 14 bytes; scores and hash values
 *   i * 1.5), loaded with `redis-cli --pipe` in
 *   commands of 1000 members: used_memory's growth per member, once settled (target: lapse <= 1.5x
 *   Redis's) and RSS's growth per member once it settled.
 */

const TESTS = ['lpush', 'rpush', 'lpop', 'rpop', 'sadd', 'spop', 'zadd', 'zpopmin', 'lrange_100'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Kind = 'list' | 'set' | 'zset' | 'hash';

/** RESP for `count` members of one key of `kind`, 1000 members per command. */
function payload(kind: Kind, count: number): Buffer {
  const parts: string[] = [];
  const PER = 1000;
  for (let i = 0; i < count; i += PER) {
    const n = Math.min(PER, count - i);
    const args: string[] = kind === 'list' ? ['RPUSH', 'big'] : kind === 'set' ? ['SADD', 'big'] : kind === 'zset' ? ['ZADD', 'big'] : ['HSET', 'big'];
    for (let j = i; j < i + n; j++) {
      const member = `member:${String(j).padStart(7, '0')}`;
      if (kind === 'zset') args.push(String(j * 1.5));
      args.push(member);
      if (kind === 'hash') args.push(String(j * 1.5));
    }
    parts.push(`*${args.length}\r\n`);
    for (const a of args) parts.push(`$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`);
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function infoNumber(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  if (!m) throw new Error(`no ${field} in INFO`);
  return Number(m[1]);
}

/**
 * used_memory once it stopped moving (two reads 600 ms apart within 1%, at most 5 s), as
 * RSS is read once settled: lapse counts a grown collection's replaced arenas until V8
 * collects them, which its Reclaimer does once the server is quiet (QUIET_MS, 500 ms);
 * Redis's figure is settled at once.
 */
async function settledUsed(probe: ProbeClient): Promise<number> {
  return settled(async () => infoNumber(await probe.command('INFO', 'memory'), 'used_memory'), {
    everyMs: 600,
    rounds: 8,
    close: (last, now) => Math.abs(now - last) <= last / 100,
  });
}

async function memoryRound(name: ServerName, kind: Kind, data: Buffer, count: number): Promise<{ used: number; rss: number }> {
  const s = await startServer(name);
  try {
    const probe = await ProbeClient.connect(s.port);
    await sleep(300);
    const usedBefore = infoNumber(await probe.command('INFO', 'memory'), 'used_memory');
    const rssBefore = s.rss();
    const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(s.port), '--pipe'], { input: data });
    if (!/errors: 0/.test(r.out)) throw new Error(`--pipe into ${name} failed: ${r.out} ${r.err}`);
    const size = await probe.integer(kind === 'list' ? 'LLEN' : kind === 'set' ? 'SCARD' : kind === 'zset' ? 'ZCARD' : 'HLEN', 'big');
    if (size !== count) throw new Error(`${name}: big holds ${size} members, expected ${count}`);
    const rss = await settled(() => s.rss(), RSS_SETTLED);
    const usedAfter = await settledUsed(probe);
    probe.close();
    return { used: (usedAfter - usedBefore) / count, rss: (rss - rssBefore) / count };
  } finally {
    await s.stop();
  }
}

export async function collections(ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 2;
  for (const pipeline of [1, 16]) {
    const goal = pipeline === 1 ? 0.9 : 0.6;
    const rows = new Map<string, ReturnType<ScenarioContext['row']>>();
    for (let round = 0; round < rounds; round++) {
      for (const name of (round % 2 === 0 ? ['lapse', 'redis'] : ['redis', 'lapse']) as ServerName[]) {
        progress(`collections P=${pipeline} round ${round + 1}/${rounds}: ${name}`);
        const s = await startServer(name);
        let result: Map<string, number>;
        try {
          result = await redisBenchmark(s, { tests: TESTS, pipeline, requests: ctx.quick ? 50_000 : pipeline === 1 ? 200_000 : 1_000_000 });
        } finally {
          await s.stop();
        }
        for (const [test, rps] of result) {
          let row = rows.get(test);
          if (row === undefined) {
            row = ctx.row(`redis-benchmark collections -c 50 -d 230 -r 100000, P=${pipeline}`, test, 'ops/s', `ratio >= ${goal}`, (l, r) => l / r >= goal);
            rows.set(test, row);
          }
          row[name].push(rps);
        }
      }
    }
    for (const row of rows.values()) ctx.finish(row);
  }

  const count = ctx.quick ? 200_000 : 1_000_000;
  for (const kind of ['list', 'set', 'zset', 'hash'] as Kind[]) {
    const data = payload(kind, count);
    const scenario = `one ${kind} of ${count.toLocaleString('en-US')} ${kind === 'hash' ? 'fields (14 B, values i*1.5)' : `members (14 B${kind === 'zset' ? ', scores i*1.5' : ''})`} via redis-cli --pipe`;
    const used = ctx.row(scenario, 'used_memory per member', 'B', 'ratio <= 1.5', (l, r) => l / r <= 1.5);
    const rss = ctx.row(scenario, 'RSS per member', 'B', '-');
    for (let round = 0; round < rounds; round++) {
      for (const name of (round % 2 === 0 ? ['lapse', 'redis'] : ['redis', 'lapse']) as ServerName[]) {
        progress(`collections memory ${kind} round ${round + 1}/${rounds}: ${name}`);
        const r = await memoryRound(name, kind, data, count);
        used[name].push(r.used);
        rss[name].push(r.rss);
      }
    }
    ctx.finish(used);
  }
}
