import { startServer, type ServerName } from '../lib/servers.js';
import { progress } from '../lib/progress.js';
import { median, fmt } from '../lib/stats.js';
import { redisBenchmark } from './redis-benchmark.js';
import type { ScenarioContext } from '../lib/context.js';

/**
 * What timing every command costs (`--only command-timing`): INFO commandstats' usec,
 * latencystats, the slow log and the latency monitor all come from one measurement per
 * command (src/commands/command-timing.ts). redis-benchmark SET then GET (-c 50 -d 230
 * -r 100000) at P=1 and P=16 against lapse as it ships (timing on), lapse with
 * `--command-timing no` (lapse's own hidden switch: nothing timed), and redis-server,
 * each fresh per run, the three in rotating order each round. The table rows are lapse
 * (timing on) against Redis; the note gives the cost: the median over rounds of each
 * round's on/off ratio (the two runs of a round are back to back, so the machine's
 * drift cancels). Target (issue 16): on/off >= 0.98.
 */

type Variant = 'on' | 'off' | 'redis';
const ROTATIONS: Variant[][] = [['on', 'off', 'redis'], ['off', 'redis', 'on'], ['redis', 'on', 'off']];

export async function commandTiming(ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.quick ? 3 : 5;
  for (const pipeline of [1, 16]) {
    const requests = ctx.quick ? (pipeline === 1 ? 50_000 : 200_000) : pipeline === 1 ? 200_000 : 1_000_000;
    const results: Record<Variant, Map<string, number>[]> = { on: [], off: [], redis: [] };
    for (let round = 0; round < rounds; round++) {
      for (const variant of ROTATIONS[round % ROTATIONS.length]!) {
        progress(`command timing P=${pipeline} round ${round + 1}/${rounds}: ${variant}`);
        const name: ServerName = variant === 'redis' ? 'redis' : 'lapse';
        const s = await startServer(name, variant === 'off' ? ['--command-timing', 'no'] : []);
        try {
          results[variant].push(await redisBenchmark(s, { tests: ['set', 'get'], pipeline, requests }));
        } finally {
          await s.stop();
        }
      }
    }
    for (const test of ['SET', 'GET']) {
      const row = ctx.row(`redis-benchmark -c 50 -d 230 -r 100000, P=${pipeline}, lapse timing every command`, test, 'ops/s', '');
      row.lapse.push(...results.on.map((m) => m.get(test) ?? NaN));
      row.redis.push(...results.redis.map((m) => m.get(test) ?? NaN));
      ctx.finish(row);
      const ratios = results.on.map((m, i) => (m.get(test) ?? NaN) / (results.off[i]!.get(test) ?? NaN));
      const on = median(results.on.map((m) => m.get(test) ?? NaN));
      const off = median(results.off.map((m) => m.get(test) ?? NaN));
      ctx.notes.push(
        `Command timing, ${test} P=${pipeline}: timing on / off = ${fmt(median(ratios), 3)} (median of ${rounds} paired rounds, ` +
          `${fmt(Math.min(...ratios), 3)}..${fmt(Math.max(...ratios), 3)}; medians ${fmt(on)} vs ${fmt(off)} ops/s). Target >= 0.98.`,
      );
    }
  }
}
