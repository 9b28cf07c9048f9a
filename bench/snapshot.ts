/**
 * The snapshot scenario of `npm run bench -- --only snapshot`, by hand with a chosen
 * number of keys, one round per server, printing the table without writing RESULTS.md:
 *
 *   npm run build && npx tsx bench/snapshot.ts [keys=1000000]
 */
import type { ServerName } from './lib/servers.js';
import { sessionsPayload } from './lib/payload.js';
import { median } from './lib/stats.js';
import { table, type Row } from './lib/report.js';
import { snapshotRound, snapshotNotes, SNAPSHOT_METRICS, type SnapshotResult } from './scenarios/snapshot.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const payload = sessionsPayload(keys);
const results: Record<ServerName, SnapshotResult[]> = { lapse: [], redis: [] };
for (const name of ['lapse', 'redis'] as const) results[name].push(await snapshotRound(name, payload, keys));
const rows: Row[] = SNAPSHOT_METRICS.map((m) => {
  const lapse = results.lapse.map(m.value);
  const redis = results.redis.map(m.value);
  return { scenario: `${keys.toLocaleString()} sessions`, metric: m.metric, unit: m.unit, lapse, redis, target: m.target, met: m.met?.(median(lapse), median(redis)) };
});
console.log(table(rows) + '\n\n' + snapshotNotes(results).join('\n'));
