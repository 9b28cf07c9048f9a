import { cpuSeconds, startServer, run, type BenchServer, type ServerName } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { progress } from '../lib/progress.js';
import { sessionsPayload } from '../lib/payload.js';
import { median } from '../lib/stats.js';
import { redisBenchmarkCommand } from './redis-benchmark.js';
import { sinkReplica } from '../lib/sink-replica.js';
import type { ScenarioContext } from '../lib/context.js';

/**
 * Replication (`--only replication`), each server replicating to its own kind on the same
 * machine (lapse to lapse, Redis to Redis), diskless sync without delay:
 *
 * - Write throughput with 0, 1 and 2 replicas attached: redis-benchmark SET of a
 *   230-byte session value over 100,000 random keys, 50 clients, P=16; the rows give
 *   ops/s, and the replicated/unreplicated ratio of each server (target for lapse:
 *   >= 0.8 of its own unreplicated figure). Twice: with real replicas (same kind as the
 *   primary, on the same two cores, so they take CPU from it), and with replicas that
 *   only read the stream (sink-replica.ts: SYNC, read, drop). On a machine whose cores the
 *   replicas and redis-benchmark share with the primary, ops/s falls with the CPU they
 *   take; the primary's own CPU time per write (from /proc/<pid>/stat around the run)
 *   shows what feeding replicas costs it, and its ratio is the target's second reading.
 * - Full sync of 1M sessions (37-byte keys, 230-byte values, EX): the time from the
 *   replica's start to its link up with every key loaded.
 *
 * Each server fresh per round, order alternating; medians of the rounds.
 */

const VALUE = 's'.repeat(230);

async function infoField(port: number, field: string): Promise<string> {
  const probe = await ProbeClient.connect(port);
  try {
    const text = String(await probe.command('INFO', 'replication'));
    return new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text)?.[1] ?? '';
  } finally {
    probe.close();
  }
}

async function waitLinked(replica: BenchServer, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await infoField(replica.port, 'master_link_status')) !== 'up' || (await infoField(replica.port, 'master_sync_in_progress')) !== '0') {
    if (Date.now() > until) throw new Error(`${replica.name} replica did not sync in ${timeoutMs} ms:\n${replica.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SYNC_ARGS = ['--repl-diskless-sync-delay', '0'];

export async function replication(ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 3;
  const requests = ctx.quick ? 100_000 : 500_000;
  const realZero: Record<ServerName, number[]> = { lapse: [], redis: [] };
  const realZeroCpu: Record<ServerName, number[]> = { lapse: [], redis: [] };
  for (const kind of ['real', 'sink'] as const) {
    const label = kind === 'real' ? 'replica(s)' : 'reading-only replica(s)';
    // ops/s by server and replica count, per round.
    const ops: Record<ServerName, number[][]> = { lapse: [[], [], []], redis: [[], [], []] };
    // The primary's CPU time per write (µs), by server and replica count, per round.
    const cpu: Record<ServerName, number[][]> = { lapse: [[], [], []], redis: [[], [], []] };
    for (let round = 0; round < rounds; round++) {
      for (const name of (round % 2 === 0 ? ['lapse', 'redis'] : ['redis', 'lapse']) as ServerName[]) {
        for (const count of [0, 1, 2]) {
          if (kind === 'sink' && count === 0 && round > 0) continue;
          progress(`replication writes round ${round + 1}/${rounds}: ${name}, ${count} ${label}`);
          const primary = await startServer(name, SYNC_ARGS);
          const replicas: BenchServer[] = [];
          const sinks: { close(): void }[] = [];
          try {
            for (let i = 0; i < count; i++) {
              if (kind === 'real') replicas.push(await startServer(name, ['--replicaof', '127.0.0.1', String(primary.port), ...SYNC_ARGS]));
              else sinks.push(await sinkReplica(primary.port));
            }
            for (const r of replicas) await waitLinked(r, 30_000);
            if (kind === 'sink' && count > 0) {
              while (Number(await infoField(primary.port, 'connected_slaves')) !== count || !/state=online/.test(await infoField(primary.port, `slave${count - 1}`))) {
                await new Promise((r) => setTimeout(r, 20));
              }
            }
            const cpuBefore = cpuSeconds(primary.pid);
            ops[name][count]!.push(await redisBenchmarkCommand(primary, { pipeline: 16, requests }, ['SET', 'sess:__rand_int__', VALUE]));
            cpu[name][count]!.push(((cpuSeconds(primary.pid) - cpuBefore) * 1e6) / requests);
          } finally {
            for (const s of sinks) s.close();
            for (const r of replicas) await r.stop();
            await primary.stop();
          }
        }
      }
    }
    if (kind === 'sink') {
      ops.lapse[0] = realZero.lapse;
      ops.redis[0] = realZero.redis;
      cpu.lapse[0] = realZeroCpu.lapse;
      cpu.redis[0] = realZeroCpu.redis;
    } else {
      realZero.lapse = ops.lapse[0]!;
      realZero.redis = ops.redis[0]!;
      realZeroCpu.lapse = cpu.lapse[0]!;
      realZeroCpu.redis = cpu.redis[0]!;
      const row = ctx.row('redis-benchmark SET 230 B -c 50 -r 100000 -P 16', 'writes, no replica', 'ops/s', 'ratio (info)');
      row.lapse.push(...ops.lapse[0]!);
      row.redis.push(...ops.redis[0]!);
      ctx.finish(row);
      const cpuRow = ctx.row('the same', "primary's CPU time per write, no replica", 'µs', 'ratio (info)');
      cpuRow.lapse.push(...cpu.lapse[0]!);
      cpuRow.redis.push(...cpu.redis[0]!);
      ctx.finish(cpuRow);
    }
    for (const count of [1, 2]) {
      const row = ctx.row('the same', `primary's CPU time per write, ${count} ${label}`, 'µs', 'ratio (info)');
      row.lapse.push(...cpu.lapse[count]!);
      row.redis.push(...cpu.redis[count]!);
      ctx.finish(row);
      const ratioRow = ctx.row(
        `the same, CPU per write without replicas / with ${kind === 'real' ? 'real' : 'reading-only'} ones (each server against itself)`,
        `CPU per write with none / with ${count} ${label}`,
        'ratio',
        'lapse >= 0.8',
        (lapse) => lapse >= 0.8,
      );
      ratioRow.lapse.push(median(cpu.lapse[0]!) / median(cpu.lapse[count]!));
      ratioRow.redis.push(median(cpu.redis[0]!) / median(cpu.redis[count]!));
      ctx.finish(ratioRow);
    }
    for (const count of [1, 2]) {
      const row = ctx.row('redis-benchmark SET 230 B -c 50 -r 100000 -P 16', `writes, ${count} ${label} attached`, 'ops/s', 'ratio (info)');
      row.lapse.push(...ops.lapse[count]!);
      row.redis.push(...ops.redis[count]!);
      ctx.finish(row);
    }
    for (const count of [1, 2]) {
      const row = ctx.row(
        `the same, with ${kind === 'real' ? 'real replicas' : 'reading-only replicas'} / without (each server against itself)`,
        `writes with ${count} ${label} / with none`,
        'ratio',
        'lapse >= 0.8',
        (lapse) => lapse >= 0.8,
      );
      row.lapse.push(median(ops.lapse[count]!) / median(ops.lapse[0]!));
      row.redis.push(median(ops.redis[count]!) / median(ops.redis[0]!));
      ctx.finish(row);
    }
  }

  // Full sync of 1M sessions.
  const sessions = ctx.quick ? 100_000 : 1_000_000;
  const payload = sessionsPayload(sessions);
  const syncRow = ctx.row(`full sync of ${sessions.toLocaleString('en-US')} sessions (37 B keys, 230 B values, EX), diskless`, 'replica start to link up, all keys', 's', 'ratio (info)');
  for (let round = 0; round < rounds; round++) {
    for (const name of (round % 2 === 0 ? ['lapse', 'redis'] : ['redis', 'lapse']) as ServerName[]) {
      progress(`replication full sync round ${round + 1}/${rounds}: ${name}`);
      const primary = await startServer(name, SYNC_ARGS);
      let replica: BenchServer | null = null;
      try {
        const loaded = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(primary.port), '--pipe'], { input: payload });
        if (!/errors: 0, replies: \d+/.test(loaded.out)) throw new Error(`${name}: redis-cli --pipe: ${loaded.out} ${loaded.err}`);
        const started = performance.now();
        replica = await startServer(name, ['--replicaof', '127.0.0.1', String(primary.port), ...SYNC_ARGS], { readyTimeoutMs: 60_000 });
        await waitLinked(replica, 300_000);
        const seconds = (performance.now() - started) / 1000;
        const probe = await ProbeClient.connect(replica.port);
        const keys = await probe.integer('DBSIZE');
        probe.close();
        if (keys !== sessions) throw new Error(`${name}: the replica has ${keys} keys, expected ${sessions}`);
        syncRow[name].push(seconds);
      } finally {
        await replica?.stop();
        await primary.stop();
      }
    }
  }
  ctx.finish(syncRow);
  ctx.notes.push(
    'Replication: each server replicates to its own kind (lapse to lapse, Redis to Redis) on the same machine, diskless, ' +
      'so a replicated run has two or three servers sharing the two cores; the replicated/unreplicated ratios compare each server with itself.',
  );
}
