import { cpuSeconds, startServer, type ServerName } from '../lib/servers.js';
import { progress } from '../lib/progress.js';
import { median, fmt } from '../lib/stats.js';
import { redisBenchmark } from './redis-benchmark.js';
import type { ScenarioContext } from '../lib/context.js';

/**
 * What timing every command costs (`--only command-timing`): INFO commandstats' usec,
 * latencystats, the slow log and the latency monitor all come from one measurement per
 * command (src/commands/command-timing.ts). redis-benchmark SET, then GET (-c 50 -d 230
 * -r 100000, two runs) at P=1 and P=16 against lapse as it ships (timing on), lapse with
 * `--command-timing no` (lapse's own hidden switch: nothing timed), and redis-server,
 * each fresh per round, the three in rotating order.
 *
 * Two measures: throughput, and the server's own CPU time per command (user + system
 * from /proc/<pid>/stat around each run). On this shared 2-core machine throughput swings
 * by ±20% between runs while CPU per command moves far less, so the cost is read from
 * CPU: the median over rounds of each round's on/off ratio (the two runs of a round are
 * close in time, so slow drift cancels). Target (issue 16): under 2% of GET/SET, i.e.
 * CPU on/off <= 1.02 (throughput on/off >= 0.98).
 */

type Variant = 'on' | 'off' | 'redis';
const ROTATIONS: Variant[][] = [['on', 'off', 'redis'], ['off', 'redis', 'on'], ['redis', 'on', 'off']];
const TESTS = ['SET', 'GET'] as const;

interface Run {
  rps: number;
  cpuUsPerCommand: number;
}

export async function commandTiming(ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.quick ? 3 : 7;
  for (const pipeline of [1, 16]) {
    const requests = ctx.quick ? (pipeline === 1 ? 50_000 : 200_000) : pipeline === 1 ? 200_000 : 1_000_000;
    const results: Record<Variant, Record<string, Run[]>> = { on: { SET: [], GET: [] }, off: { SET: [], GET: [] }, redis: { SET: [], GET: [] } };
    for (let round = 0; round < rounds; round++) {
      for (const variant of ROTATIONS[round % ROTATIONS.length]!) {
        progress(`command timing P=${pipeline} round ${round + 1}/${rounds}: ${variant}`);
        const name: ServerName = variant === 'redis' ? 'redis' : 'lapse';
        const s = await startServer(name, variant === 'off' ? ['--command-timing', 'no'] : []);
        try {
          for (const test of TESTS) {
            const before = cpuSeconds(s.pid);
            const rps = (await redisBenchmark(s, { tests: [test.toLowerCase()], pipeline, requests })).get(test) ?? NaN;
            results[variant][test]!.push({ rps, cpuUsPerCommand: ((cpuSeconds(s.pid) - before) * 1e6) / requests });
          }
        } finally {
          await s.stop();
        }
      }
    }
    for (const test of TESTS) {
      const scenario = `redis-benchmark -c 50 -d 230 -r 100000, P=${pipeline}, lapse timing every command`;
      const rps = ctx.row(scenario, test, 'ops/s', '');
      const cpu = ctx.row(scenario, `${test} server CPU per command`, 'µs', '');
      for (const side of ['lapse', 'redis'] as const) {
        const runs = results[side === 'lapse' ? 'on' : 'redis'][test]!;
        rps[side].push(...runs.map((r) => r.rps));
        cpu[side].push(...runs.map((r) => r.cpuUsPerCommand));
      }
      ctx.finish(rps);
      ctx.finish(cpu);
      const on = results.on[test]!;
      const off = results.off[test]!;
      const cpuRatios = on.map((r, i) => r.cpuUsPerCommand / off[i]!.cpuUsPerCommand);
      const rpsRatios = on.map((r, i) => r.rps / off[i]!.rps);
      ctx.notes.push(
        `Command timing, ${test} P=${pipeline}: server CPU per command on / off = ${fmt(median(cpuRatios), 3)} ` +
          `(median of ${rounds} paired rounds, ${fmt(Math.min(...cpuRatios), 3)}..${fmt(Math.max(...cpuRatios), 3)}; ` +
          `medians ${fmt(median(on.map((r) => r.cpuUsPerCommand)), 2)} vs ${fmt(median(off.map((r) => r.cpuUsPerCommand)), 2)} µs); ` +
          `throughput on / off = ${fmt(median(rpsRatios), 3)} (${fmt(Math.min(...rpsRatios), 3)}..${fmt(Math.max(...rpsRatios), 3)}). ` +
          `CPU ratio by round: ${cpuRatios.map((r) => fmt(r, 3)).join(' ')}. Target: CPU <= 1.02.`,
      );
    }
  }
}
