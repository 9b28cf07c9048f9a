import { run, type BenchServer } from '../lib/servers.js';
import { ProbeClient, sessionProbe } from '../lib/resp-client.js';
import { roundTrips, type RoundTrips } from '../lib/stats.js';

/** Round trips of a client sending GET and SET one at a time while the load ran, and the load's time. */
export interface GrowthResult extends RoundTrips {
  /** ms redis-cli --pipe took to load every session into the empty server. */
  loadMs: number;
}

/**
 * A keyspace growing from empty: `payloadFile` (new sessions) loaded by redis-cli --pipe, as
 * fast as the server takes it, while a client on a separate connection sends GET and SET
 * (alternately, on a key of its own) one at a time. Every structure sized by the key
 * count grows meanwhile (the key table, lapse's id columns, Redis's dict), so a grow
 * that stops the server for long shows as that client's longest round trip.
 */
export async function growth(server: BenchServer, payloadFile: string, expectedKeys: number): Promise<GrowthResult> {
  const probe = await ProbeClient.connect(server.port);
  const probing = sessionProbe(probe);
  const t0 = performance.now();
  // redis-cli reads the file itself: this process, which times the probe, does not
  // spend its turns writing 250 MB into a pipe meanwhile.
  const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), '--pipe'], { inputFile: payloadFile });
  const loadMs = performance.now() - t0;
  const latencies = await probing.stop();
  if (!/errors: 0/.test(r.out)) throw new Error(`--pipe into ${server.name} failed: ${r.out} ${r.err}`);
  const keys = (await probe.integer('DBSIZE')) - 1;
  probe.close();
  if (keys !== expectedKeys) throw new Error(`${server.name} holds ${keys} sessions, expected ${expectedKeys}`);
  return { loadMs, ...roundTrips(latencies) };
}
