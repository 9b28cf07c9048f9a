import path from 'node:path';
import { startServer, ROOT, type ServerName } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { pipelinedSets } from '../lib/fill.js';
import { lineChart } from '../lib/report.js';
import { median } from '../lib/stats.js';
import { progress } from '../lib/progress.js';
import type { ScenarioContext } from '../lib/context.js';

/**
 * Memory that comes back (`--only reclaim`): a fresh server is written 600 values of
 * 1 MiB, then FLUSHALL, then left quiet; its RSS is read every 500 ms for 15 s. Rows:
 * RSS fresh, right after the writes, and 1, 5 and 10 s after the FLUSHALL (target: lapse
 * within 2x of its own fresh RSS at 10 s); a chart of both curves (first round).
 */

const MB = 1024 * 1024;
const VALUES = 600;
const SECONDS = 15;
const SAMPLE_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ReclaimRound {
  fresh: number;
  filled: number;
  /** RSS (bytes) every SAMPLE_MS after the FLUSHALL reply, the first at SAMPLE_MS. */
  curve: number[];
}

async function reclaimRound(name: ServerName): Promise<ReclaimRound> {
  const s = await startServer(name);
  try {
    await sleep(500);
    const fresh = s.rss();
    const value = Buffer.alloc(MB, 'r');
    const written = await pipelinedSets(s.port, VALUES, (i) => `reclaim:${i}`, value, 10);
    if (written.errors > 0) throw new Error(`${name}: ${written.firstError}`);
    const filled = s.rss();
    const probe = await ProbeClient.connect(s.port);
    const reply = await probe.command('FLUSHALL');
    probe.close();
    if (reply !== '+OK') throw new Error(`${name}: FLUSHALL answered ${reply}`);
    const curve: number[] = [];
    for (let t = SAMPLE_MS; t <= SECONDS * 1000; t += SAMPLE_MS) {
      await sleep(SAMPLE_MS);
      curve.push(s.rss());
    }
    return { fresh, filled, curve };
  } finally {
    await s.stop();
  }
}

export async function reclaim(ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 2;
  const scenario = `${VALUES} x 1 MiB SET, FLUSHALL, then quiet`;
  const fresh = ctx.row(scenario, 'RSS fresh', 'MB', '-');
  const filled = ctx.row(scenario, 'RSS after the writes', 'MB', '-');
  const at = [1, 5, 10].map((s) => ({ s, row: ctx.row(scenario, `RSS ${s} s after FLUSHALL`, 'MB', s === 10 ? 'lapse <= 2x its fresh RSS' : '-') }));
  const points: { x: number; y: number; server: string }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const name of (round % 2 === 0 ? ['lapse', 'redis'] : ['redis', 'lapse']) as ServerName[]) {
      progress(`reclaim round ${round + 1}/${rounds}: ${name}`);
      const r = await reclaimRound(name);
      fresh[name].push(r.fresh / MB);
      filled[name].push(r.filled / MB);
      for (const { s, row } of at) row[name].push(r.curve[(s * 1000) / SAMPLE_MS - 1]! / MB);
      if (round === 0) r.curve.forEach((rss, i) => points.push({ x: ((i + 1) * SAMPLE_MS) / 1000, y: rss / MB, server: name }));
    }
  }
  const tenSeconds = at.find((a) => a.s === 10)!.row;
  tenSeconds.met = median(tenSeconds.lapse) <= 2 * median(fresh.lapse);
  const file = path.join(ROOT, 'bench/charts/rss-after-flushall.svg');
  await lineChart(file, `RSS after ${VALUES} x 1 MiB values and FLUSHALL, server quiet`, points, {
    x: 'seconds since FLUSHALL',
    y: 'RSS (MB)',
  });
  ctx.charts.push('charts/rss-after-flushall.svg');
}
