import { startServer, type ServerName } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { pipelinedSets } from '../lib/fill.js';
import { fmt, median } from '../lib/stats.js';
import { progress } from '../lib/progress.js';
import type { ScenarioContext } from '../lib/context.js';

/**
 * What maxmemory holds (`--only maxmemory`): each server runs with `maxmemory 100mb` and
 * allkeys-lru and is written 250,000 values of 1 KB (2.5x that), 1000 SETs at a time.
 * Rows: keys kept (target: lapse >= 0.85x Redis's), peak RSS while writing and RSS 1 s
 * after (target: lapse within its baseline + 2.5x maxmemory), and the write time.
 */

const MB = 1024 * 1024;
const MAXMEMORY_MB = 100;
const KEYS = 250_000;
const ARGS = ['--maxmemory', `${MAXMEMORY_MB}mb`, '--maxmemory-policy', 'allkeys-lru'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface MaxmemoryRound {
  keys: number;
  peakRss: number;
  settledRss: number;
  seconds: number;
  /** lapse_baseline_memory (0 for Redis). */
  baseline: number;
}

async function maxmemoryRound(name: ServerName): Promise<MaxmemoryRound> {
  const s = await startServer(name, ARGS);
  try {
    const probe = await ProbeClient.connect(s.port);
    const info = await probe.command('INFO', 'memory');
    const baseline = Number(/lapse_baseline_memory:(\d+)/.exec(info)?.[1] ?? 0);
    let peakRss = s.rss();
    const value = Buffer.alloc(1000, 'v');
    const started = performance.now();
    const written = await pipelinedSets(s.port, KEYS, (i) => `key:${String(i).padStart(12, '0')}`, value, 1000, (i) => {
      if (i % 10_000 === 0) peakRss = Math.max(peakRss, s.rss());
    });
    const seconds = (performance.now() - started) / 1000;
    if (written.errors > 0) throw new Error(`${name}: ${written.firstError}`);
    for (let k = 0; k < 10; k++) {
      await sleep(100);
      peakRss = Math.max(peakRss, s.rss());
    }
    const keys = await probe.integer('DBSIZE');
    probe.close();
    return { keys, peakRss, settledRss: s.rss(), seconds, baseline };
  } finally {
    await s.stop();
  }
}

export async function maxmemory(ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 2;
  const scenario = `${KEYS.toLocaleString('en-US')} x 1 KB SET at maxmemory ${MAXMEMORY_MB}mb, allkeys-lru`;
  const keys = ctx.row(scenario, 'keys kept', 'keys', 'ratio >= 0.85', (l, r) => l / r >= 0.85);
  const rssTarget = `lapse <= baseline + ${2.5 * MAXMEMORY_MB} MB`;
  const peak = ctx.row(scenario, 'peak RSS while writing', 'MB', rssTarget);
  const settled = ctx.row(scenario, 'RSS 1 s after', 'MB', '-');
  const time = ctx.row(scenario, 'write time', 's', '-');
  const baselines: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const name of (round % 2 === 0 ? ['lapse', 'redis'] : ['redis', 'lapse']) as ServerName[]) {
      progress(`maxmemory round ${round + 1}/${rounds}: ${name}`);
      const r = await maxmemoryRound(name);
      keys[name].push(r.keys);
      peak[name].push(r.peakRss / MB);
      settled[name].push(r.settledRss / MB);
      time[name].push(r.seconds);
      if (name === 'lapse') baselines.push(r.baseline / MB);
    }
  }
  ctx.finish(keys);
  peak.met = median(peak.lapse) <= median(baselines) + 2.5 * MAXMEMORY_MB;
  ctx.notes.push(
    `maxmemory: lapse's baseline (INFO lapse_baseline_memory: the process before it stores anything, which ` +
      `maxmemory does not bound) was ${fmt(median(baselines), 1)} MB (median).`,
  );
}
