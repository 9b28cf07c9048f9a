import { afterEach, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp.js';

/**
 * activerehashing (Redis's databasesCron): with yes, the cron gives a resizing keys'
 * table a millisecond a tick, so a resize that writes started ends soon after the
 * writes stop; with no, only writes (8 slots each) and the cron's 256 slots a tick
 * drain it, as before the parameter took effect. The table grows from 65,536 slots
 * when a write would pass 3/4 load (49,153 keys); 49,300 keys leave nearly all of the
 * old array to drain.
 */

const servers: LapseServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEYS = 49_300;

async function filled(activerehashing: 'yes' | 'no'): Promise<{ server: LapseServer; left: number }> {
  const server = createServer({ port: 0, bind: '127.0.0.1', configText: `activerehashing ${activerehashing}\nhz 100\n` });
  servers.push(server);
  const { port } = await server.listen();
  const c = await RawClient.connect(port);
  try {
    const batch = 1000;
    for (let i = 0; i < KEYS; i += batch) {
      const n = Math.min(batch, KEYS - i);
      c.write(Buffer.concat(Array.from({ length: n }, (_, j) => encodeCommand(['SET', `k:${i + j}`, 'v']))));
      for (let j = 0; j < n; j++) await c.readReplyBytes(10_000);
    }
  } finally {
    c.close();
  }
  return { server, left: server.keyspace.dbs[0]!.store.table.pendingRehash };
}

test('activerehashing yes: the cron drains a resize the writes left; no: it goes on at 256 slots a tick', async () => {
  const on = await filled('yes');
  const off = await filled('no');
  const tableOf = (s: LapseServer) => s.keyspace.dbs[0]!.store.table;
  // Both resizes were started by the writes and left mostly undrained.
  expect(off.left).toBeGreaterThan(50_000);
  // At hz 100, 300 ms are ~30 ticks: ~7,700 slots at 256 a tick; a millisecond a tick drains the rest.
  await sleep(300);
  expect(tableOf(on.server).rehashing).toBe(false);
  const offLeft = tableOf(off.server).pendingRehash;
  expect(offLeft).toBeGreaterThan(30_000);
  expect(offLeft).toBeLessThan(off.left);
  expect(on.server.keyspace.dbs[0]!.size).toBe(KEYS);
  expect(off.server.keyspace.dbs[0]!.size).toBe(KEYS);
});
