import { expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createServer } from '../../src/index.js';
import { startRedis } from '../helpers/redis-server.js';

/**
 * CLIENT PAUSE WRITE on a replica, as Redis 7.0's own pause test checks it: the
 * primary's client is paused too, so the replica reads its primary's stream
 * (slave_read_repl_offset follows) but applies none of it (slave_repl_offset stays, the
 * key is absent) nor passes any of it on to its own replica; once unpaused it applies what
 * it held, in order. The same scenario runs
 * on a redis-server 7.0.15 pair and on a lapse pair, and the transcripts must be equal.
 */

type Transcript = string[];

async function field(c: IORedis, name: string): Promise<number> {
  const m = new RegExp(`\\r\\n${name}:(\\d+)`).exec(await c.info('replication'));
  return m === null ? -1 : Number(m[1]);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The scenario through one connection to each of a primary, its replica and the replica's replica; then `stop` stops them. */
async function scenarioOn(ports: [number, number, number], stop: () => Promise<void>): Promise<Transcript> {
  const [p, r, s] = ports.map((port) => new IORedis({ port, host: '127.0.0.1' })) as [IORedis, IORedis, IORedis];
  try {
    return await scenario(p, r, s);
  } finally {
    for (const c of [p, r, s]) c.disconnect();
    await stop();
  }
}

async function scenario(primary: IORedis, replica: IORedis, sub: IORedis): Promise<Transcript> {
  const t: Transcript = [];
  await until('link up', async () => /master_link_status:up/.test(await replica.info('replication')));
  await until('sub-replica link up', async () => /master_link_status:up/.test(await sub.info('replication')));
  await primary.set('foo', 'bar');
  await until('replica caught up', async () => (await field(replica, 'slave_repl_offset')) === (await field(primary, 'master_repl_offset')));
  const before = await field(primary, 'master_repl_offset');
  t.push(`PAUSE: ${await replica.call('CLIENT', 'PAUSE', '100000', 'WRITE')}`);
  await primary.set('foo2', 'bar2');
  await primary.rpush('list', 'a', 'b');
  // Many reads of the stream held behind the parked command, kept in order.
  for (let i = 0; i < 50; i++) await primary.incr('n');
  await until('replica read the stream', async () => (await field(replica, 'slave_read_repl_offset')) === (await field(primary, 'master_repl_offset')));
  t.push(`read offset grew: ${(await field(replica, 'slave_read_repl_offset')) > before}`);
  t.push(`applied offset stayed: ${(await field(replica, 'slave_repl_offset')) === before}`);
  t.push(`foo2 during: ${await replica.get('foo2')}`);
  t.push(`list during: ${JSON.stringify(await replica.lrange('list', 0, -1))}`);
  // A replica passes on only what it applied: its own replica has nothing new either.
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.push(`foo2 on the sub-replica during: ${await sub.get('foo2')}`);
  t.push(`primary client in CLIENT LIST: ${/flags=M\S* /.exec(await replica.client('LIST') as string)?.[0] ?? ''}`);
  t.push(`UNPAUSE: ${await replica.call('CLIENT', 'UNPAUSE')}`);
  await until('replica applied the stream', async () => (await field(replica, 'slave_repl_offset')) === (await field(primary, 'master_repl_offset')));
  t.push(`foo2 after: ${await replica.get('foo2')}`);
  t.push(`list after: ${JSON.stringify(await replica.lrange('list', 0, -1))}`);
  t.push(`n after: ${await replica.get('n')}`);
  await until('sub-replica applied the stream', async () => (await sub.get('foo2')) === 'bar2');
  t.push(`list on the sub-replica after: ${JSON.stringify(await sub.lrange('list', 0, -1))}`);
  return t;
}

test('a replica under CLIENT PAUSE WRITE reads but does not apply its primary\'s stream, then catches up', async () => {
  const transcripts: Transcript[] = [];
  // Redis: a primary and a replica of it.
  {
    const primary = await startRedis(['--repl-ping-replica-period', '3600', '--repl-diskless-sync-delay', '0']);
    const replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.port), '--repl-diskless-sync-delay', '0']);
    const sub = await startRedis(['--replicaof', '127.0.0.1', String(replica.port)]);
    transcripts.push(
      await scenarioOn([primary.port, replica.port, sub.port], async () => {
        await sub.stop();
        await replica.stop();
        await primary.stop();
      }),
    );
  }
  // lapse: the same.
  {
    const primary = createServer({ port: 0, bind: '127.0.0.1', 'repl-ping-replica-period': 3600, 'repl-diskless-sync-delay': 0 });
    const primaryPort = (await primary.listen()).port;
    const replica = createServer({ port: 0, bind: '127.0.0.1', replicaof: `127.0.0.1 ${primaryPort}`, 'repl-diskless-sync-delay': 0 });
    const replicaPort = (await replica.listen()).port;
    const sub = createServer({ port: 0, bind: '127.0.0.1', replicaof: `127.0.0.1 ${replicaPort}` });
    const subPort = (await sub.listen()).port;
    transcripts.push(
      await scenarioOn([primaryPort, replicaPort, subPort], async () => {
        await sub.close();
        await replica.close();
        await primary.close();
      }),
    );
  }
  expect(transcripts[0]).toContain('applied offset stayed: true');
  expect(transcripts[1]!.join('\n')).toBe(transcripts[0]!.join('\n'));
}, 60_000);

/** WAIT during a pause on the primary: no GETACK goes out (the offset a failover waits on stays), then it does. */
async function waitScenario(primary: IORedis): Promise<Transcript> {
  const t: Transcript = [];
  await until('replica online', async () => /slave0:.*state=online/.test(await primary.info('replication')));
  await primary.set('k', 'v');
  const before = await field(primary, 'master_repl_offset');
  t.push(`PAUSE: ${await primary.call('CLIENT', 'PAUSE', '100000', 'WRITE')}`);
  // More replicas than there are: WAIT asks for acknowledgements and times out.
  t.push(`WAIT: ${await primary.call('WAIT', '2', '200')}`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.push(`offset during: ${(await field(primary, 'master_repl_offset')) - before}`);
  t.push(`UNPAUSE: ${await primary.call('CLIENT', 'UNPAUSE')}`);
  await until('GETACK sent', async () => (await field(primary, 'master_repl_offset')) > before);
  t.push(`offset after: ${(await field(primary, 'master_repl_offset')) - before}`);
  return t;
}

test('WAIT while clients are paused sends no GETACK until the pause ends', async () => {
  const transcripts: Transcript[] = [];
  {
    const primary = await startRedis(['--repl-ping-replica-period', '3600', '--repl-diskless-sync-delay', '0']);
    const replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
    const p = new IORedis({ port: primary.port, host: '127.0.0.1' });
    try {
      transcripts.push(await waitScenario(p));
    } finally {
      p.disconnect();
      await replica.stop();
      await primary.stop();
    }
  }
  {
    const primary = createServer({ port: 0, bind: '127.0.0.1', 'repl-ping-replica-period': 3600, 'repl-diskless-sync-delay': 0 });
    const primaryPort = (await primary.listen()).port;
    const replica = createServer({ port: 0, bind: '127.0.0.1', replicaof: `127.0.0.1 ${primaryPort}` });
    await replica.listen();
    const p = new IORedis({ port: primaryPort, host: '127.0.0.1' });
    try {
      transcripts.push(await waitScenario(p));
    } finally {
      p.disconnect();
      await replica.close();
      await primary.close();
    }
  }
  expect(transcripts[0]).toContain('offset during: 0');
  expect(transcripts[1]!.join('\n')).toBe(transcripts[0]!.join('\n'));
}, 60_000);
