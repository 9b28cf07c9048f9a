import { run, type BenchServer } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { expiringPayload } from '../lib/payload.js';
import { quantile } from '../lib/stats.js';

export interface ExpiryResult {
  /** ms from the last deadline until DBSIZE reached 0 (Infinity if it did not within the limit). */
  drainMs: number;
  /** Round trips of a client sending GET and SET one at a time, from the first deadline - 200 ms until DBSIZE 0. */
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  roundTrips: number;
  /** [ms since the first deadline, keys remaining] samples, for the chart. */
  curve: [number, number][];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * n keys with deadlines spread evenly over one second. Measures how long after the
 * last deadline the server still holds expired keys (DBSIZE counts them until they are
 * reclaimed), and the round trips meanwhile of a client on a separate connection
 * that sends GET and SET (alternately, on a key of its own) one at a time.
 */
export async function massExpiry(server: BenchServer, n: number, limitMs: number): Promise<ExpiryResult> {
  // Deadlines start after loading has surely finished (load rate measured >= 250k/s).
  const lead = 3000 + Math.ceil(n / 100);
  const first = Date.now() + lead;
  const last = first + 1000;
  const payload = expiringPayload(n, first, 1000);
  const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), '--pipe'], { input: payload });
  if (!/errors: 0/.test(r.out)) throw new Error(`load into ${server.name} failed: ${r.out}`);
  if (Date.now() > first) throw new Error(`loading ${n} keys into ${server.name} took past the first deadline`);
  const poll = await ProbeClient.connect(server.port);
  const ping = await ProbeClient.connect(server.port);
  const latencies: number[] = [];
  const curve: [number, number][] = [];
  let pinging = true;
  const pinger = (async () => {
    while (Date.now() < first - 200) await sleep(20);
    for (let i = 0; pinging; i++) {
      const t = performance.now();
      if (i % 2 === 0) await ping.command('GET', 'probe:session');
      else await ping.command('SET', 'probe:session', 'x'.repeat(230));
      latencies.push(performance.now() - t);
    }
  })();
  while (Date.now() < first - 100) await sleep(20);
  let drainMs = Infinity;
  for (;;) {
    // The probe's own key is not one of the n.
    const size = (await poll.integer('DBSIZE')) - (await poll.integer('EXISTS', 'probe:session'));
    const now = Date.now();
    curve.push([now - first, size]);
    if (size === 0 && now >= last) {
      drainMs = Math.max(0, now - last);
      break;
    }
    if (now - last > limitMs) break;
    await sleep(20);
  }
  pinging = false;
  await pinger;
  poll.close();
  ping.close();
  return { drainMs, p99Ms: quantile(latencies, 0.99), p999Ms: quantile(latencies, 0.999), maxMs: Math.max(...latencies), roundTrips: latencies.length, curve };
}
