import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, startServer, type BenchServer, type ServerName } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { sessionKey, sessionValue } from '../lib/payload.js';
import { median, quantile } from '../lib/stats.js';

export interface SnapshotResult {
  saveMs: number;
  /**
   * BGSAVE's reply until INFO says rdb_bgsave_in_progress:0 (polled every 10 ms); Redis
   * notices its child's exit in serverCron, so its figure includes up to 1/hz (100 ms).
   */
  bgsaveMs: number;
  /** Spawn until "Ready to accept connections" on a directory holding the snapshot. */
  loadMs: number;
  /** The server's own "DB loaded from disk: X seconds" line, in ms. */
  loadLogMs: number;
  /** The slowest GET/SET round trip of a client running one command at a time during BGSAVE. */
  stallMs: number;
  /** GET/SET round trips that client completed during BGSAVE. */
  opsDuringBgsave: number;
  /** The 99.9th percentile of those round trips. */
  p999Ms: number;
  /** Peak RSS of the server process during BGSAVE minus its RSS before, plus a forked child's copy-on-write. */
  rssGrowthBytes: number;
  /** rdb_last_cow_size: what the forked child copied (Redis; lapse does not fork and reports 0). */
  cowBytes: number;
  /** latest_fork_usec (Redis; 0 for lapse). */
  forkUsec: number;
  fileBytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function infoField(text: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text);
  if (!m) throw new Error(`INFO has no ${field}`);
  return m[1]!;
}

/**
 * One round on one server, on the session payload (SET ... EX 86400 as RESP, `keys`
 * commands): loads it with `redis-cli --pipe`, times SAVE, then BGSAVE while a client
 * runs sequential GET/SET round trips (the longest is the stall a user would see) and
 * RSS is sampled every 5 ms, then stops the server and times a fresh start that loads
 * the snapshot. Both servers run with their defaults (dbfilename dump.rdb,
 * rdbcompression yes) in a temporary directory that is removed afterwards.
 */
export async function snapshotRound(name: ServerName, payload: Buffer, keys: number): Promise<SnapshotResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-snapshot-${name}-`));
  const servers: BenchServer[] = [];
  const clients: ProbeClient[] = [];
  try {
    const s = await startServer(name, [], { dir });
    servers.push(s);
    const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(s.port), '--pipe'], { input: payload });
    if (!/errors: 0/.test(r.out)) throw new Error(`--pipe into ${name} failed: ${r.out} ${r.err}`);
    const c = await ProbeClient.connect(s.port);
    const traffic = await ProbeClient.connect(s.port);
    clients.push(c, traffic);
    if ((await c.integer('DBSIZE')) !== keys) throw new Error(`${name} did not load ${keys} keys`);

    let t = performance.now();
    const saved = await c.command('SAVE');
    const saveMs = performance.now() - t;
    if (saved !== '+OK') throw new Error(`SAVE on ${name}: ${saved}`);
    const fileBytes = fs.statSync(path.join(dir, 'dump.rdb')).size;
    // A SAVE's time counts only for a whole file (a lapse SAVE once wrote 90% of its keys
    // with a good checksum): redis-check-rdb reads it back and counts them.
    const check = await run('redis-check-rdb', [path.join(dir, 'dump.rdb')]);
    const read = /(\d+) keys read/.exec(check.out + check.err);
    if (check.code !== 0 || read === null || Number(read[1]) !== keys) {
      throw new Error(`${name}'s SAVE wrote a file redis-check-rdb does not read as ${keys} keys:\n${check.out}${check.err}`);
    }

    // Sequential GET/SET on existing keys (SETs rewrite values BGSAVE has yet to write).
    const sample = Array.from({ length: 1000 }, (_, i) => sessionKey((i * 7919) % keys));
    const value = sessionValue(0);
    let running = true;
    let stallMs = 0;
    let ops = 0;
    let times: number[] = [];
    const client = (async () => {
      for (let i = 0; running; i++) {
        const k = sample[i % sample.length]!;
        const a = performance.now();
        if (i % 2 === 0) await traffic.command('GET', k);
        else await traffic.command('SET', k, value, 'EX', '86400');
        const took = performance.now() - a;
        stallMs = Math.max(stallMs, took);
        times.push(took);
        ops++;
      }
    })();
    await sleep(200);
    const baseRss = s.rss();
    let peakRss = baseRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, s.rss())), 5);
    stallMs = 0;
    ops = 0;
    times = [];
    t = performance.now();
    const started = await c.command('BGSAVE');
    if (!started.startsWith('+Background saving started')) throw new Error(`BGSAVE on ${name}: ${started}`);
    let persistence: string;
    for (;;) {
      persistence = await c.command('INFO', 'persistence');
      if (infoField(persistence, 'rdb_bgsave_in_progress') === '0') break;
      await sleep(10);
    }
    const bgsaveMs = performance.now() - t;
    running = false;
    clearInterval(sampler);
    await client;
    const opsDuringBgsave = ops;
    const p999Ms = quantile(times, 0.999);
    if (infoField(persistence, 'rdb_last_bgsave_status') !== 'ok') throw new Error(`BGSAVE on ${name} failed`);
    const cowBytes = Number(infoField(persistence, 'rdb_last_cow_size'));
    const forkUsec = Number(infoField(await c.command('INFO', 'stats'), 'latest_fork_usec'));
    for (const cl of clients.splice(0)) cl.close();
    await servers.pop()!.stop();

    const loaded = await startServer(name, [], { dir, readyTimeoutMs: 300_000 });
    servers.push(loaded);
    const m = /DB loaded from disk: ([\d.]+) seconds/.exec(loaded.log());
    if (!m) throw new Error(`${name} logged no load time:\n${loaded.log()}`);
    const probe = await ProbeClient.connect(loaded.port);
    clients.push(probe);
    if ((await probe.integer('DBSIZE')) !== keys) throw new Error(`${name} loaded the wrong number of keys`);
    return {
      saveMs,
      bgsaveMs,
      loadMs: loaded.startMs,
      loadLogMs: Number(m[1]) * 1000,
      stallMs,
      opsDuringBgsave,
      p999Ms,
      rssGrowthBytes: peakRss - baseRss + cowBytes,
      cowBytes,
      forkUsec,
      fileBytes,
    };
  } finally {
    for (const cl of clients) cl.close();
    for (const s of servers) await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The table rows of the snapshot scenario: what each takes from a round, and its target. */
export const SNAPSHOT_METRICS: {
  metric: string;
  unit: string;
  target: string;
  value: (r: SnapshotResult) => number;
  met?: (lapse: number, redis: number) => boolean;
}[] = [
  { metric: 'SAVE', unit: 'ms', target: 'ratio <= 1.5', value: (r) => r.saveMs, met: (l, d) => l / d <= 1.5 },
  { metric: 'load at start-up, spawn -> ready', unit: 'ms', target: 'ratio <= 1.5', value: (r) => r.loadMs, met: (l, d) => l / d <= 1.5 },
  { metric: "load, the server's own log line", unit: 'ms', target: '-', value: (r) => r.loadLogMs },
  { metric: 'BGSAVE until done', unit: 'ms', target: '-', value: (r) => r.bgsaveMs },
  { metric: 'longest GET/SET round trip during BGSAVE', unit: 'ms', target: 'lapse <= 20', value: (r) => r.stallMs, met: (l) => l <= 20 },
  { metric: 'GET/SET round trips of one client during BGSAVE', unit: 'count', target: 'ratio >= 0.8', value: (r) => r.opsDuringBgsave, met: (l, d) => l / d >= 0.8 },
  {
    // The count above favours the slower save (more time, more round trips); this is the pace.
    metric: 'GET/SET round trips a second of that client during BGSAVE',
    unit: '/s',
    target: '-',
    value: (r) => r.opsDuringBgsave / (r.bgsaveMs / 1000),
  },
  { metric: 'p99.9 GET/SET round trip during BGSAVE', unit: 'ms', target: 'lapse <= 5', value: (r) => r.p999Ms, met: (l) => l <= 5 },
  { metric: 'peak RSS growth during BGSAVE (Redis: + child CoW)', unit: 'MB', target: '-', value: (r) => r.rssGrowthBytes / 2 ** 20 },
  { metric: 'RDB file size', unit: 'MB', target: '-', value: (r) => r.fileBytes / 2 ** 20 },
];

/** Lines for under the table: how load time is measured, and Redis's fork figures. */
export function snapshotNotes(results: Record<ServerName, SnapshotResult[]>): string[] {
  const med = (name: ServerName, f: (r: SnapshotResult) => number) => median(results[name].map(f));
  return [
    'Snapshot: "load at start-up" is measured the same way for both servers, from spawning the process ' +
      'until it prints "Ready to accept connections" (after loading dump.rdb), so it includes process ' +
      "start-up (Node's is longer than Redis's); the row below it is each server's own " +
      '"DB loaded from disk" figure.',
    `Snapshot: Redis forks for BGSAVE: latest_fork_usec median ${(med('redis', (r) => r.forkUsec) / 1000).toFixed(1)} ms, ` +
      `rdb_last_cow_size median ${(med('redis', (r) => r.cowBytes) / 2 ** 20).toFixed(1)} MB (included in its RSS growth). ` +
      'lapse saves without forking, so its growth is all in its own process. ' +
      `GET/SET round trips completed during BGSAVE (median): lapse ${Math.round(med('lapse', (r) => r.opsDuringBgsave))}, ` +
      `Redis ${Math.round(med('redis', (r) => r.opsDuringBgsave))}.`,
  ];
}
