import { run, type BenchServer } from '../lib/servers.js';
import { PROBE_KEY, ProbeClient, sessionProbe } from '../lib/resp-client.js';
import { expiringPayload } from '../lib/payload.js';
import { roundTrips, type RoundTrips } from '../lib/stats.js';

/** How long expired keys stayed, and the round trips of a client sending GET and SET one at a time from the first deadline - 200 ms until DBSIZE 0. */
export interface ExpiryResult extends RoundTrips {
  /** ms from the last deadline until DBSIZE reached 0 (Infinity if it did not within the limit). */
  drainMs: number;
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
  const curve: [number, number][] = [];
  while (Date.now() < first - 200) await sleep(20);
  const probing = sessionProbe(ping);
  while (Date.now() < first - 100) await sleep(20);
  let drainMs = Infinity;
  for (;;) {
    // The probe's own key is not one of the n.
    const size = (await poll.integer('DBSIZE')) - (await poll.integer('EXISTS', PROBE_KEY));
    const now = Date.now();
    curve.push([now - first, size]);
    if (size === 0 && now >= last) {
      drainMs = Math.max(0, now - last);
      break;
    }
    if (now - last > limitMs) break;
    await sleep(20);
  }
  const latencies = await probing.stop();
  poll.close();
  ping.close();
  return { drainMs, ...roundTrips(latencies), curve };
}
