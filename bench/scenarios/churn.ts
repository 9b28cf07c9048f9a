import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startServer, type BenchServer, type ServerName } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { quantile } from '../lib/stats.js';
import { lineChart } from '../lib/report.js';
import { progress } from '../lib/progress.js';
import type { ScenarioContext } from '../lib/context.js';
import type { ChurnClientParams, ChurnClientReport } from './churn-client.js';
import { MessageParser } from '../lib/message-parser.js';

/**
 * Session churn at saturation (`--only churn`): does expiry stay on time while clients
 * keep the server busy? (issue 11: lapse's reclaim-lag p99 reached 0.6-3.3 s in such a
 * run.) 200k sessions for 600 s, one round per server (--quick: 50k sessions, 20 s):
 * also whether RSS stays flat (issue 17), beside each server's mem_fragmentation_ratio.
 *
 * `clients` load processes (churn-client.ts) each keep one connection with a deep
 * pipeline full, for `seconds`: they create sessions (values of 100 B to 20 KB, TTL 5-60 s,
 * set with PXAT so the deadline is known; `sessions` of them at once at the start, then at
 * the rate that keeps about that many alive) and otherwise GET and re-save live sessions,
 * as fast as the server answers. Meanwhile, from this process:
 * - a subscriber to __keyevent@0__:expired (both servers get notify-keyspace-events Ex
 *   first) takes the delay of every event: arrival time minus the expire time the key names
 *   (the same measure for both servers);
 * - every SAMPLE_MS, INFO stats: lapse's expired_reclaim_lag_p50/p99/max_ms (over its last
 *   minute) and expired_keys_past_deadline, Redis's expired_stale_perc; the server's RSS
 *   and CPU time from /proc.
 * expired_keys_past_deadline is reported as a fraction of the keys due in the second
 * before the sample (from the deadlines the clients set; they report them at the end).
 * Events for keys due before the end of the load are awaited up to DRAIN_MS after it.
 */

export interface ChurnParams {
  sessions: number;
  seconds: number;
  clients: number;
  depth: number;
  ttlMinMs: number;
  ttlMaxMs: number;
}

export interface ChurnSample {
  /** ms since the load started. */
  t: number;
  rssBytes: number;
  /** lapse: INFO's reclaim lag over its last minute, and keys past their deadline. */
  lagP50?: number;
  lagP99?: number;
  lagMax?: number;
  pastDeadline?: number;
  /** Keys whose deadline fell in the second before the sample. */
  duePerSecond: number;
  /** Redis: expired_stale_perc. */
  stalePerc?: number;
  expiredKeys: number;
  /** INFO memory's mem_fragmentation_ratio (RSS / used_memory, as each server computes it). */
  fragRatio?: number;
}

export interface ChurnResult {
  opsPerSecond: number;
  /** Share of one core the server used during the load, %. */
  serverCpuPercent: number;
  samples: ChurnSample[];
  /** Worst over the samples (lapse), ms. */
  lagP50Max: number;
  lagP99Max: number;
  lagMaxMax: number;
  /** Largest expired_keys_past_deadline / keys due in the second before, over the samples, %. */
  pastDeadlineFractionMax: number;
  /** Samples (lapse) in which that share was above 1%, and all samples that have it. */
  pastDeadlineSamplesOver1: number;
  pastDeadlineSamples: number;
  pastDeadlineMax: number;
  /** Redis's expired_stale_perc: median and largest over the samples. */
  stalePercMedian: number;
  stalePercMax: number;
  eventDelayP50: number;
  eventDelayP99: number;
  eventDelayMax: number;
  /** Events received for keys due during the load, and how many such keys there were. */
  eventsReceived: number;
  eventsExpected: number;
  peakRssBytes: number;
  endRssBytes: number;
  /** Median RSS over the last minute of the load / over the minute after the warm-up (see STEADY_FROM_MS). */
  rssDrift: number;
  /** mem_fragmentation_ratio: median over the last minute, and over the minute after the warm-up. */
  fragRatioEnd: number;
  fragRatioSteady: number;
  created: number;
  errors: number;
  nils: number;
  firstError: string;
}

/** How often INFO and RSS are sampled. */
const SAMPLE_MS = 250;
/** How long events of keys due during the load are awaited after it. */
const DRAIN_MS = 5000;
const CHANNEL = '__keyevent@0__:expired';
/**
 * The population is steady from about the longest TTL after the start (the sessions of
 * the first burst have expired and been replaced); RSS flatness compares the minute
 * from here with the last minute of the load.
 */
const STEADY_FROM_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function infoNumber(text: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:([0-9.]+)\\r?$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return 0;
  }
}

/** Delays (arrival - expire time) of `expired` events, from a subscribed connection. */
class ExpiredEvents {
  /** [expire time named by the key, arrival (epoch ms)], in arrival order. */
  readonly events: [number, number][] = [];
  private subscribed!: () => void;
  readonly ready = new Promise<void>((resolve) => (this.subscribed = resolve));
  private readonly parser = new MessageParser((items, at) => {
    if (items[0] === 'subscribe') this.subscribed();
    else if (items[0] === 'message') {
      // sess:<expire time>:<client>:<n>
      const key = items[2]!;
      this.events.push([Number(key.slice(5, key.indexOf(':', 5))), at]);
    }
  });

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.parser.feed(chunk, Date.now()));
    socket.on('error', () => {});
    socket.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n`);
  }
}

function startClient(params: ChurnClientParams): { child: ChildProcess; report: Promise<ChurnClientReport> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'churn-client.ts'), JSON.stringify(params)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const report = new Promise<ChurnClientReport>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ChurnClientReport));
    child.once('exit', (code) => reject(new Error(`churn client ${params.client} exited with ${code} before reporting`)));
  });
  return { child, report };
}

/** One churn run against a server started for it (and stopped by the caller). */
export async function churnRound(server: BenchServer, p: ChurnParams, round: number): Promise<ChurnResult> {
  const name = server.name;
  const children: ChildProcess[] = [];
  const probes: ProbeClient[] = [];
  let subscriber: net.Socket | null = null;
  try {
    subscriber = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port: server.port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
    const info = await ProbeClient.connect(server.port);
    probes.push(info);
    const set = await info.command('CONFIG', 'SET', 'notify-keyspace-events', 'Ex');
    if (set !== '+OK') throw new Error(`CONFIG SET notify-keyspace-events on ${name}: ${set}`);
    const events = new ExpiredEvents(subscriber);
    await events.ready;

    // The clients start together; each creates its share of the sessions at once, then
    // keeps the population steady: the mean TTL is (min + max) / 2.
    const start = Date.now() + 1500;
    const endAt = start + p.seconds * 1000;
    const meanTtlSeconds = (p.ttlMinMs + p.ttlMaxMs) / 2000;
    const reports: Promise<ChurnClientReport>[] = [];
    for (let c = 0; c < p.clients; c++) {
      const { child, report } = startClient({
        port: server.port,
        client: c,
        seed: 1000 * round + c + 1,
        depth: p.depth,
        initialSessions: Math.round(p.sessions / p.clients),
        createPerSecond: p.sessions / meanTtlSeconds / p.clients,
        ttlMinMs: p.ttlMinMs,
        ttlMaxMs: p.ttlMaxMs,
        endAt,
      });
      children.push(child);
      reports.push(report);
      // Loaded at a lower priority than the server and this process, on a shared machine:
      // the server gets its core, the subscriber its arrival times.
      try {
        os.setPriority(child.pid!, 10);
      } catch {
        // Not permitted here: measured at equal priority.
      }
    }

    const samples: (Omit<ChurnSample, 'duePerSecond'> & { at: number })[] = [];
    while (Date.now() < start) await sleep(10);
    const cpuStart = cpuMs(server.pid);
    const startedAt = Date.now();
    let nextSample = startedAt;
    while (Date.now() < endAt) {
      const sent = Date.now();
      const text = await info.command('INFO', 'stats', 'memory');
      const at = Math.round((sent + Date.now()) / 2);
      samples.push({
        t: at - startedAt,
        at,
        rssBytes: server.rss(),
        lagP50: infoNumber(text, 'expired_reclaim_lag_p50_ms'),
        lagP99: infoNumber(text, 'expired_reclaim_lag_p99_ms'),
        lagMax: infoNumber(text, 'expired_reclaim_lag_max_ms'),
        pastDeadline: infoNumber(text, 'expired_keys_past_deadline'),
        stalePerc: name === 'redis' ? infoNumber(text, 'expired_stale_perc') : undefined,
        expiredKeys: infoNumber(text, 'expired_keys') ?? 0,
        fragRatio: infoNumber(text, 'mem_fragmentation_ratio'),
      });
      nextSample += SAMPLE_MS;
      await sleep(nextSample - Date.now());
    }
    const done = await Promise.all(reports);
    const loadMs = Date.now() - startedAt;
    const serverCpuPercent = ((cpuMs(server.pid) - cpuStart) / loadMs) * 100;

    const due = new Map<number, number>();
    let created = 0;
    let replies = 0;
    let errors = 0;
    let nils = 0;
    let firstError = '';
    for (const r of done) {
      for (const [bucket, n] of r.deadlines) due.set(bucket, (due.get(bucket) ?? 0) + n);
      created += r.created;
      replies += r.replies;
      errors += r.errors;
      nils += r.nils;
      firstError ||= r.firstError;
    }
    /** Keys whose expire time t has t + 1 (the first ms they are gone) in (at - 1000, at]. */
    const dueInSecondBefore = (at: number): number => {
      let n = 0;
      const last = Math.floor((at - 1) / 100);
      for (let b = last - 9; b <= last; b++) n += due.get(b) ?? 0;
      return n;
    };
    // Keys due during the load: those of the 100 ms buckets that end by its end.
    const duringLoad = (t: number) => (Math.floor(t / 100) + 1) * 100 <= endAt;
    let expected = 0;
    for (const [bucket, n] of due) if (duringLoad(bucket * 100)) expected += n;

    // Events of keys due during the load, however late: wait for them (bounded).
    const waitUntil = Date.now() + DRAIN_MS;
    const dueBeforeEnd = () => events.events.reduce((n, [t]) => n + (duringLoad(t) ? 1 : 0), 0);
    while (Date.now() < waitUntil && dueBeforeEnd() < expected) await sleep(100);
    const delays = events.events.filter(([t]) => duringLoad(t)).map(([t, arrival]) => arrival - t);
    delays.sort((a, b) => a - b);

    const full: ChurnSample[] = samples.map(({ at, ...s }) => ({ ...s, duePerSecond: dueInSecondBefore(at) }));
    const fractions = full
      .filter((s) => s.pastDeadline !== undefined)
      .map((s) => (s.pastDeadline! === 0 ? 0 : (100 * s.pastDeadline!) / Math.max(1, s.duePerSecond)));
    const stale = full.filter((s) => s.stalePerc !== undefined).map((s) => s.stalePerc!);
    const maxOf = (xs: (number | undefined)[]) => {
      const v = xs.filter((x): x is number => x !== undefined);
      return v.length === 0 ? NaN : Math.max(...v);
    };
    // A minute's median of a figure, from `from` ms after the start (clamped to the load).
    const minuteMedian = (from: number, f: (s: ChurnSample) => number | undefined): number => {
      const t0 = Math.max(0, Math.min(from, (full.at(-1)?.t ?? 0) - 60_000));
      const v = full.filter((s) => s.t >= t0 && s.t < t0 + 60_000).map(f).filter((x): x is number => x !== undefined);
      return v.length === 0 ? NaN : quantile(v, 0.5);
    };
    const lastMinute = (full.at(-1)?.t ?? 0) - 60_000;
    const nearestRank = (q: number) => (delays.length === 0 ? NaN : delays[Math.max(0, Math.ceil(q * delays.length) - 1)]!);
    return {
      opsPerSecond: (replies * 1000) / loadMs,
      serverCpuPercent,
      samples: full,
      lagP50Max: maxOf(full.map((s) => s.lagP50)),
      lagP99Max: maxOf(full.map((s) => s.lagP99)),
      lagMaxMax: maxOf(full.map((s) => s.lagMax)),
      pastDeadlineFractionMax: fractions.length === 0 ? NaN : Math.max(...fractions),
      pastDeadlineSamplesOver1: fractions.filter((f) => f > 1).length,
      pastDeadlineSamples: fractions.length,
      pastDeadlineMax: maxOf(full.map((s) => s.pastDeadline)),
      stalePercMedian: stale.length === 0 ? NaN : quantile(stale, 0.5),
      stalePercMax: stale.length === 0 ? NaN : Math.max(...stale),
      eventDelayP50: nearestRank(0.5),
      eventDelayP99: nearestRank(0.99),
      eventDelayMax: delays.length === 0 ? NaN : delays[delays.length - 1]!,
      eventsReceived: delays.length,
      eventsExpected: expected,
      peakRssBytes: Math.max(...full.map((s) => s.rssBytes)),
      endRssBytes: full.length === 0 ? 0 : full[full.length - 1]!.rssBytes,
      rssDrift: minuteMedian(lastMinute, (s) => s.rssBytes) / minuteMedian(STEADY_FROM_MS, (s) => s.rssBytes),
      fragRatioEnd: minuteMedian(lastMinute, (s) => s.fragRatio),
      fragRatioSteady: minuteMedian(STEADY_FROM_MS, (s) => s.fragRatio),
      created,
      errors,
      nils,
      firstError,
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const pr of probes) pr.close();
    subscriber?.destroy();
  }
}

/** The table rows of the churn scenario: what each takes from a round, and its target. */
export const CHURN_METRICS: {
  metric: string;
  unit: string;
  target: string;
  /** NaN where the server has no such figure (the row shows '-'). */
  value: (r: ChurnResult) => number;
  met?: (lapse: number, redis: number) => boolean;
}[] = [
  { metric: 'throughput', unit: 'ops/s', target: '-', value: (r) => r.opsPerSecond },
  { metric: 'server CPU (one core = 100)', unit: '%', target: '-', value: (r) => r.serverCpuPercent },
  { metric: 'reclaim lag p50, worst INFO sample', unit: 'ms', target: '-', value: (r) => r.lagP50Max },
  { metric: 'reclaim lag p99, worst INFO sample', unit: 'ms', target: 'lapse <= 100', value: (r) => r.lagP99Max, met: (l) => l <= 100 },
  { metric: 'reclaim lag max, worst INFO sample', unit: 'ms', target: '-', value: (r) => r.lagMaxMax },
  {
    metric: 'keys past deadline / keys due in the second before, worst sample',
    unit: '%',
    target: 'lapse <= 1',
    value: (r) => r.pastDeadlineFractionMax,
    met: (l) => l <= 1,
  },
  { metric: 'expired_stale_perc, worst sample', unit: '%', target: '-', value: (r) => r.stalePercMax },
  { metric: 'expired event delay p50', unit: 'ms', target: '-', value: (r) => r.eventDelayP50 },
  { metric: 'expired event delay p99', unit: 'ms', target: 'lapse <= 100', value: (r) => r.eventDelayP99, met: (l) => l <= 100 },
  { metric: 'expired event delay max', unit: 'ms', target: '-', value: (r) => r.eventDelayMax },
  { metric: 'peak RSS', unit: 'MB', target: '-', value: (r) => r.peakRssBytes / 2 ** 20 },
  {
    metric: 'RSS flatness: median RSS of the last minute / of the minute from 120 s',
    unit: 'x',
    target: 'lapse <= 1.1',
    value: (r) => r.rssDrift,
    met: (l) => l <= 1.1,
  },
  { metric: 'mem_fragmentation_ratio, median of the minute from 120 s', unit: 'x', target: '-', value: (r) => r.fragRatioSteady },
  { metric: 'mem_fragmentation_ratio, median of the last minute', unit: 'x', target: '-', value: (r) => r.fragRatioEnd },
];

export function churnScenario(p: ChurnParams): string {
  return (
    `churn: ~${p.sessions.toLocaleString('en-US')} sessions of 100 B-20 KB, PXAT ${p.ttlMinMs / 1000}-${p.ttlMaxMs / 1000} s, ` +
    `${p.clients} client processes x pipeline ${p.depth}, ${p.seconds} s`
  );
}

/** Lines for under the table: what was measured how, and the figures that fit no row. */
export function churnNotes(results: Record<ServerName, ChurnResult[]>): string[] {
  const lines = [
    'Churn: reclaim lag and keys past deadline are lapse\'s INFO fields (Redis has none), sampled every ' +
      `${SAMPLE_MS} ms; the lag fields cover the minute before each sample, and the row shows the worst sample. ` +
      "Redis's nearest figure is expired_stale_perc (its estimate of the share of keys with a TTL that are " +
      'expired and still in memory). The expired event delay is measured the same way for both: a subscriber ' +
      'to __keyevent@0__:expired takes arrival time minus the PXAT time the key names, for every key due during ' +
      'the load. The load processes run at nice 10, the servers and the measuring process at 0.',
  ];
  for (const name of ['lapse', 'redis'] as const) {
    for (const r of results[name]) {
      lines.push(
        `Churn (${name}): ${r.created.toLocaleString('en-US')} sessions created, events for ` +
          `${r.eventsReceived.toLocaleString('en-US')} of ${r.eventsExpected.toLocaleString('en-US')} keys due during the load, ` +
          (Number.isFinite(r.pastDeadlineMax)
            ? `largest keys past deadline ${r.pastDeadlineMax}, above 1% of the keys due in a second in ` +
              `${r.pastDeadlineSamplesOver1} of ${r.pastDeadlineSamples} samples, `
            : '') +
          `RSS at the end ${(r.endRssBytes / 2 ** 20).toFixed(0)} MB, ${r.errors} error replies${r.firstError ? ` (${r.firstError})` : ''}, ` +
          `${r.nils} GETs answered nil.`,
      );
    }
  }
  return lines;
}

/** RSS over the load, per server (first round), for lineChart. */
export function churnRssPoints(results: Record<ServerName, ChurnResult[]>): { x: number; y: number; server: string }[] {
  const points: { x: number; y: number; server: string }[] = [];
  for (const name of ['lapse', 'redis'] as const) {
    const r = results[name][0];
    if (!r) continue;
    // One point a second is enough for the curve.
    for (const s of r.samples.filter((_, i) => i % Math.round(1000 / SAMPLE_MS) === 0)) {
      points.push({ x: s.t / 1000, y: s.rssBytes / 2 ** 20, server: name });
    }
  }
  return points;
}

/** Ten minutes, as issue 17 asks of RSS flatness. */
const FULL: ChurnParams = { sessions: 200_000, seconds: 600, clients: 4, depth: 512, ttlMinMs: 5000, ttlMaxMs: 60_000 };
const QUICK: ChurnParams = { ...FULL, sessions: 50_000, seconds: 20 };
const ROUNDS = 1;
const ORDER: ServerName[][] = [['lapse', 'redis'], ['redis', 'lapse']];

/** The scenario: its rows, notes and RSS chart in the report. */
export async function churn(context: ScenarioContext): Promise<void> {
  const p = context.quick ? QUICK : FULL;
  const metricRows = CHURN_METRICS.map((m) => context.row(churnScenario(p), m.metric, m.unit, m.target, m.met));
  const results: Record<ServerName, ChurnResult[]> = { lapse: [], redis: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ORDER[round % 2]!) {
      progress(`churn round ${round + 1}/${ROUNDS}: ${name} (${p.seconds} s)`);
      const server = await startServer(name);
      let r: ChurnResult;
      try {
        r = await churnRound(server, p, round);
      } finally {
        await server.stop();
      }
      results[name].push(r);
      CHURN_METRICS.forEach((m, i) => {
        const v = m.value(r);
        if (Number.isFinite(v)) metricRows[i]![name].push(v);
      });
    }
  }
  metricRows.forEach(context.finish);
  context.notes.push(...churnNotes(results));
  await lineChart(path.join(ROOT, 'bench/charts/rss-during-churn.svg'), 'Server RSS during the session churn', churnRssPoints(results), {
    x: 'seconds since the load started',
    y: 'RSS (MB)',
  });
  context.charts.push('charts/rss-during-churn.svg');
}
