import fs from 'node:fs';
import type { Client, ServerContext } from './context.js';
import { errNoLatencySamples } from './errors.js';
import { cmd, container, type CommandDefinition } from './declare.js';
import { replyHelp, type HelpEntry } from './help.js';
import type { CommandSpec } from './table.js';
import type { LatencyHistogram } from '../util/latency-histogram.js';
import { cFixed } from '../util/format.js';
import { renderSparkline } from '../util/sparkline.js';
import type { LatencySeries } from './latency-monitor.js';

/** LATENCY LATEST: [event, time of the last sample, its latency, the all-time maximum] per event. */
function latencyLatest(c: Client): void {
  const events = c.server.commandTimer.latency.events;
  const r = c.reply;
  r.arrayHeader(events.size);
  for (const [name, series] of events) {
    const [time, latency] = series.latest();
    r.arrayHeader(4);
    r.bulk(name);
    r.integer(time);
    r.integer(latency);
    r.integer(series.max);
  }
}

/** LATENCY HISTORY event: its samples, oldest first, as [time, latency]; empty for an unknown event. */
function latencyHistory(c: Client, argv: string[]): void {
  const series = c.server.commandTimer.latency.events.get(argv[2]!);
  const samples = series === undefined ? [] : series.samples();
  const r = c.reply;
  r.arrayHeader(samples.length);
  for (const [time, latency] of samples) {
    r.arrayHeader(2);
    r.integer(time);
    r.integer(latency);
  }
}

/** LATENCY RESET [event ...]: how many events were forgotten (all without arguments). */
function latencyReset(c: Client, argv: string[]): void {
  const monitor = c.server.commandTimer.latency;
  if (argv.length === 2) {
    c.reply.integer(monitor.reset(null));
    return;
  }
  let n = 0;
  for (let j = 2; j < argv.length; j++) n += monitor.reset(argv[j]!);
  c.reply.integer(n);
}

/** The 80 columns of LATENCY GRAPH. */
const GRAPH_COLUMNS = 80;

/** How long ago a sample was, as LATENCY GRAPH labels it: 12s, 5m, 3h, 2d. */
function ago(elapsed: number): string {
  if (elapsed < 60) return `${elapsed}s`;
  if (elapsed < 3600) return `${Math.floor(elapsed / 60)}m`;
  if (elapsed < 86400) return `${Math.floor(elapsed / 3600)}h`;
  return `${Math.floor(elapsed / 86400)}d`;
}

/** LATENCY GRAPH event: the event's samples as an ASCII sparkline (verbatim text). */
function latencyGraph(c: Client, argv: string[]): void {
  const event = argv[2]!;
  const series = c.server.commandTimer.latency.events.get(event);
  if (series === undefined) {
    c.reply.error(errNoLatencySamples(event));
    return;
  }
  c.reply.verbatim(graphText(event, series));
}

function graphText(event: string, series: LatencySeries): string {
  const now = Math.floor(Date.now() / 1000);
  const samples = series.samples();
  let min = 0;
  let max = 0;
  samples.forEach(([, latency], i) => {
    if (i === 0) min = max = latency;
    else {
      if (latency > max) max = latency;
      if (latency < min) min = latency;
    }
  });
  let out = `${event} - high ${max} ms, low ${min} ms (all time high ${series.max} ms)\n`;
  out += '-'.repeat(GRAPH_COLUMNS) + '\n';
  out += renderSparkline(
    samples.map(([time, latency]) => ({ value: latency, label: ago(now - time) })),
    GRAPH_COLUMNS,
    4,
  );
  return out;
}

/**
 * LATENCY HISTOGRAM [command ...]: per command with samples (all of them, or those named,
 * a container's subcommands with it), {calls, histogram_usec: {µs: running count}}.
 */
function latencyHistogram(c: Client, argv: string[]): void {
  const table = c.server.commands;
  const chosen: CommandSpec[] = [];
  if (argv.length === 2) {
    for (const spec of table.everySpec()) if (spec.histogram !== null) chosen.push(spec);
  } else {
    for (let j = 2; j < argv.length; j++) {
      const spec = table.lookupFullName(argv[j]!);
      if (spec === undefined) continue;
      if (spec.histogram !== null) chosen.push(spec);
      for (const sub of spec.subcommands?.values() ?? []) if (sub.histogram !== null) chosen.push(sub);
    }
  }
  const r = c.reply;
  r.mapHeader(chosen.length);
  for (const spec of chosen) {
    r.bulk(spec.fullName);
    writeHistogram(c, spec.histogram!);
  }
}

function writeHistogram(c: Client, h: LatencyHistogram): void {
  const r = c.reply;
  r.mapHeader(2);
  r.bulk('calls');
  r.integer(h.total);
  r.bulk('histogram_usec');
  const steps = h.cumulativeLog2();
  r.mapHeader(steps.length);
  for (const [us, count] of steps) {
    r.integer(us);
    r.integer(count);
  }
}

/** The bytes of anonymous huge pages this process uses (Redis's THPGetAnonHugePagesSize); 0 where /proc has no answer. */
function anonHugePagesBytes(): number {
  try {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'latin1');
    const m = /^AnonHugePages:\s+(\d+) kB/m.exec(text);
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

const DOCTOR_DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";

/** One event's statistics for the doctor (Redis's analyzeLatencyForEvent): whole ms, as the C integer arithmetic gives them. */
function analyze(series: LatencySeries): { samples: number; avg: number; mad: number; period: number } {
  const samples = series.samples();
  if (samples.length === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = 0;
  for (const [time, latency] of samples) {
    sum += latency;
    if (oldest === 0 || time < oldest) oldest = time;
  }
  const avg = Math.floor(sum / samples.length);
  let period = Math.floor(Date.now() / 1000) - oldest;
  if (period === 0) period = 1;
  let deviation = 0;
  for (const [, latency] of samples) deviation += Math.abs(avg - latency);
  return { samples: samples.length, avg, mad: Math.floor(deviation / samples.length), period };
}

/** The advice LATENCY DOCTOR can give about lapse's events, in Redis's order and words. */
const ADVICE = {
  slowlogEnabled: (thresholdMs: number) =>
    `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${thresholdMs * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`,
  slowlogTuning: (thresholdMs: number) =>
    `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${thresholdMs * 1000}'.\n`,
  slowlogInspect:
    '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n',
  scheduler:
    "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
    '  1) Lower the system load.\n' +
    '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
    '  3) Check if you have a "noisy neighbour" problem.\n' +
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
    '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n',
  hz: "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
  largeObjects:
    '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n',
  massEviction:
    "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n",
  disableThp:
    "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n",
};

/**
 * LATENCY DOCTOR's report (Redis's createLatencyReport): each event's statistics, then
 * the advice they call for. lapse's own events (bgsave-turn, gc) get statistics and no
 * advice, as Redis gives an event it has no advice for; the advice about fork, AOF and
 * disks never applies (lapse has no fork and no AOF).
 */
export function latencyReport(s: ServerContext): string {
  const monitor = s.commandTimer.latency;
  const threshold = monitor.thresholdMs;
  if (monitor.events.size === 0 && threshold === 0) return DOCTOR_DISABLED;
  const slowerThan = s.commandTimer.slowerThanUs;
  const advise = { slowlogEnabled: false, slowlogTuning: false, slowlogInspect: false, scheduler: false, hz: false, largeObjects: false, massEviction: false, disableThp: false };
  let advices = 0;
  let report = '';
  let n = 0;
  for (const [event, series] of monitor.events) {
    n++;
    if (n === 1) report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    const ls = analyze(series);
    report += `${n}. ${event}: ${ls.samples} latency spikes (average ${ls.avg}ms, mean deviation ${ls.mad}ms, period ${cFixed(ls.period / ls.samples, 2)} sec). Worst all time event ${series.max}ms.`;
    const name = event.toLowerCase();
    if (name === 'command') {
      if (slowerThan < 0) {
        advise.slowlogEnabled = true;
        advices++;
      } else if (Math.trunc(slowerThan / 1000) > threshold) {
        advise.slowlogTuning = true;
        advices++;
      }
      advise.slowlogInspect = true;
      advise.largeObjects = true;
      advices += 2;
    }
    if (name === 'fast-command') {
      advise.scheduler = true;
      advices++;
    }
    if (name === 'expire-cycle') {
      advise.hz = true;
      advise.largeObjects = true;
      advices += 2;
    }
    if (name === 'eviction-del') {
      advise.largeObjects = true;
      advices++;
    }
    if (name === 'eviction-cycle') {
      advise.massEviction = true;
      advices++;
    }
    report += '\n';
  }
  if (anonHugePagesBytes() > 0) {
    advise.disableThp = true;
    advices++;
  }
  if (n === 0 && advices === 0) {
    return report + 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  }
  if (n > 0 && advices === 0) {
    return report + "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
  }
  report += '\nI have a few advices for you:\n\n';
  if (advise.slowlogEnabled) report += ADVICE.slowlogEnabled(threshold);
  if (advise.slowlogTuning) report += ADVICE.slowlogTuning(threshold);
  if (advise.slowlogInspect) report += ADVICE.slowlogInspect;
  if (advise.scheduler) report += ADVICE.scheduler;
  if (advise.hz && s.config.number('hz') < 100) report += ADVICE.hz;
  if (advise.largeObjects) report += ADVICE.largeObjects;
  if (advise.massEviction) report += ADVICE.massEviction;
  if (advise.disableThp) report += ADVICE.disableThp;
  return report;
}

/** LATENCY DOCTOR */
function latencyDoctor(c: Client): void {
  c.reply.verbatim(latencyReport(c.server));
}

const LATENCY_HELP: readonly HelpEntry[] = [
  ['doctor', ['DOCTOR', '    Return a human readable latency analysis report.']],
  ['graph', ['GRAPH <event>', '    Return an ASCII latency graph for the <event> class.']],
  ['history', ['HISTORY <event>', '    Return time-latency samples for the <event> class.']],
  ['latest', ['LATEST', '    Return the latest latency samples for all events.']],
  ['reset', ['RESET [<event> ...]', '    Reset latency data of one or more <event> classes.', '    (default: reset all data for all event classes)']],
  [
    'histogram',
    [
      'HISTOGRAM [COMMAND ...]',
      '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
      '    If no commands are specified then all histograms are replied.',
    ],
  ],
];

/** LATENCY HELP */
function latencyHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, LATENCY_HELP);
}

const TIPS_SPECIAL = 'nondeterministic_output request_policy:all_nodes response_policy:special';

export const LATENCY_COMMANDS: CommandDefinition[] = [
  /** LATENCY */
  container('latency', -2, [
    /** LATENCY DOCTOR */
    cmd('doctor', 2, 'admin noscript loading stale', { tips: TIPS_SPECIAL }, latencyDoctor),
    /** LATENCY GRAPH event */
    cmd('graph', 3, 'admin noscript loading stale', { tips: TIPS_SPECIAL }, latencyGraph),
    /** LATENCY HELP */
    cmd('help', 2, 'loading stale', latencyHelp),
    /** LATENCY HISTOGRAM [command ...] */
    cmd('histogram', -2, 'admin noscript loading stale', { tips: TIPS_SPECIAL }, latencyHistogram),
    /** LATENCY HISTORY event */
    cmd('history', 3, 'admin noscript loading stale', { tips: TIPS_SPECIAL }, latencyHistory),
    /** LATENCY LATEST */
    cmd('latest', 2, 'admin noscript loading stale', { tips: TIPS_SPECIAL }, latencyLatest),
    /** LATENCY RESET [event ...] */
    cmd('reset', -2, 'admin noscript loading stale', { tips: 'request_policy:all_nodes response_policy:all_succeeded' }, latencyReset),
  ]),
];
