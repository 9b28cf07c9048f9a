import { afterAll, beforeAll, expect, test } from 'vitest';
import { suiteServer } from '../helpers/suite-server.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';

/**
 * used_memory counts the clients' buffers as Redis counts them (src/server/memory.ts):
 * a client that sends 40 GETs of a 1 MiB value and reads none of the replies makes
 * used_memory grow by what waits for it in the server (INFO mem_clients_normal), on
 * Redis and on lapse alike; once it is gone, used_memory is back where it was. (How much
 * waits is a matter of when a server stops running such a client's commands: Redis runs
 * them all, lapse for now stops once its socket is full; at least one reply waits.)
 */

const MB = 1024 * 1024;
const lapse = suiteServer();
let redis: ReferenceRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function memory(c: RawClient): Promise<{ used: number; clients: number }> {
  const r = decodeReply(await c.call('INFO', 'memory'))!.reply;
  if (r.type !== 'bulk') throw new Error('INFO is not a bulk');
  const text = r.value.toString('latin1');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)![1]);
  return { used: field('used_memory'), clients: field('mem_clients_normal') };
}

async function unreadReplies(port: number): Promise<{ before: number; during: { used: number; clients: number }; after: number }> {
  const c = await RawClient.connect(port);
  await c.call('SET', 'big', Buffer.alloc(MB, 'b'));
  await sleep(250);
  const before = (await memory(c)).used;
  const reader = await RawClient.connect(port);
  reader.pause();
  reader.write(Buffer.concat(Array.from({ length: 40 }, () => encodeCommand(['GET', 'big']))));
  // lapse samples the clients' buffers ten times a second.
  await sleep(500);
  const during = await memory(c);
  reader.close();
  await sleep(500);
  const after = (await memory(c)).used;
  await c.call('DEL', 'big');
  c.close();
  return { before, during, after };
}

test('a client that reads none of its replies: used_memory grows by what waits for it, on both', async () => {
  const r = await unreadReplies(redis.port);
  const l = await unreadReplies(lapse.port);
  console.log('unread replies:', JSON.stringify({ redis: r, lapse: l }));
  for (const [name, m] of [['redis', r], ['lapse', l]] as const) {
    expect(m.during.clients, name).toBeGreaterThanOrEqual(MB);
    expect(m.during.used - m.before, name).toBeGreaterThan(0.9 * m.during.clients);
    expect(Math.abs(m.after - m.before), name).toBeLessThan(2 * MB);
  }
}, 30_000);
