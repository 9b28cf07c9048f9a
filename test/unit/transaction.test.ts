import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { ManualClock } from '../../src/keyspace/clock.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand, toJs } from '../helpers/resp.js';

/**
 * Transactions where time matters, with a clock the test drives (no sleeping): EXEC's
 * one command time, and watched keys whose deadline passed but that the timer wheel has
 * not removed yet (Redis's isWatchedKeyExpired and the watchedKey "expired" flag).
 */

/** A clock that moves 1 ms every time it is read, so every command gets a new time. */
class SteppingClock extends ManualClock {
  override now(): number {
    const t = super.now();
    this.set(t + 1);
    return t;
  }

  /** A command's time comes from monotonic() (one clock read per command): it steps too. */
  override monotonic(): number {
    const t = super.monotonic();
    this.set(t + 1);
    return t;
  }
}

let server: LapseServer | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function start(clock: ManualClock): Promise<RawClient> {
  server = createServer({ port: 0, bind: '127.0.0.1', clock });
  const { port } = await server.listen();
  return connect(port);
}

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

function serverPort(): number {
  return server!.info.tcpPort();
}

async function call(c: RawClient, ...args: string[]): Promise<unknown> {
  return toJs(decodeReply(await c.call(...args))!.reply);
}

/** Sends the commands in one write; returns every reply. */
async function batch(c: RawClient, commands: string[][]): Promise<unknown[]> {
  c.write(Buffer.concat(commands.map((a) => encodeCommand(a))));
  const out: unknown[] = [];
  for (let i = 0; i < commands.length; i++) out.push(toJs(decodeReply(await c.readReplyBytes())!.reply));
  return out;
}

describe('EXEC command time', () => {
  test('the queued commands all run at the time EXEC started, as Redis nested call()', async () => {
    const c = await start(new SteppingClock());
    await call(c, 'SET', 'k', 'v', 'PX', '6');
    // Outside a transaction every command has its own time: the TTL runs out.
    const outside = await batch(c, [['PTTL', 'k'], ['PTTL', 'k'], ['PTTL', 'k']]);
    expect(outside[0]).toBeGreaterThan(outside[2] as number);
    await call(c, 'SET', 'k', 'v', 'PX', '6');
    const queued = Array.from({ length: 10 }, () => ['PTTL', 'k']);
    const replies = await batch(c, [['MULTI'], ...queued, ['EXEC']]);
    const pttls = replies[replies.length - 1] as number[];
    expect(pttls).toHaveLength(10);
    expect(new Set(pttls).size).toBe(1);
    expect(pttls[0]).toBeGreaterThan(0);
  });
});

describe('watched keys past their deadline but not removed yet', () => {
  test('a key that expires after WATCH fails EXEC even before it is removed', async () => {
    const clock = new ManualClock();
    const c = await start(clock);
    await call(c, 'SET', 'k', 'v', 'PX', '100');
    await call(c, 'WATCH', 'k');
    clock.set(clock.now() + 200); // the wheel's timer has not run: k is still stored
    expect(server!.keyspace.dbs[0]!.peek('k')).toBeDefined();
    // In one read: the wheel runs after the batch, so EXEC finds k stored and expired.
    expect(await batch(c, [['MULTI'], ['EXEC']])).toEqual(['OK', null]);
  });

  test('a key already expired when watched: EXEC runs, its removal is no change', async () => {
    const clock = new ManualClock();
    const c = await start(clock);
    const other = await connect(serverPort());
    await call(c, 'SET', 'k', 'v', 'PX', '100');
    clock.set(clock.now() + 200);
    await call(c, 'WATCH', 'k');
    await call(c, 'MULTI');
    expect(await call(c, 'EXEC')).toEqual([]);

    await call(c, 'SET', 'k', 'v', 'PX', '100');
    clock.set(clock.now() + 200);
    await call(c, 'WATCH', 'k');
    clock.advance(0); // the wheel removes k now
    expect(server!.keyspace.dbs[0]!.peek('k')).toBeUndefined();
    await call(c, 'MULTI');
    expect(await call(c, 'EXEC')).toEqual([]);

    await call(c, 'SET', 'k', 'v', 'PX', '100');
    clock.set(clock.now() + 200);
    await call(c, 'WATCH', 'k');
    await call(other, 'FLUSHALL'); // removes the expired k: no change either
    await call(c, 'MULTI');
    expect(await call(c, 'EXEC')).toEqual([]);

    await call(c, 'SET', 'k', 'v', 'PX', '100');
    clock.set(clock.now() + 200);
    await call(c, 'WATCH', 'k');
    await call(other, 'SET', 'k', 'new'); // removed (no change), then stored (a change)
    await call(c, 'MULTI');
    expect(await call(c, 'EXEC')).toBe(null);
  });

  test('a key expiring after WATCH and then flushed fails EXEC', async () => {
    const clock = new ManualClock();
    const c = await start(clock);
    const other = await connect(serverPort());
    await call(c, 'SET', 'k', 'v', 'PX', '100');
    await call(c, 'WATCH', 'k');
    clock.set(clock.now() + 200);
    await call(other, 'FLUSHDB');
    await call(c, 'MULTI');
    expect(await call(c, 'EXEC')).toBe(null);
    expect(server!.watches.size).toBe(0);
  });
});

describe('watch registry', () => {
  test('a client closing releases its watches; dirty clients release theirs at once', async () => {
    const c = await start(new ManualClock());
    const other = await connect(serverPort());
    await call(c, 'WATCH', 'a', 'b', 'c');
    await call(other, 'WATCH', 'a', 'x');
    expect(server!.watches.size).toBe(5);
    await call(c, 'SET', 'b', '1'); // c is dirty: its three watches go
    expect(server!.watches.size).toBe(2);
    other.close();
    for (let i = 0; i < 50 && server!.watches.size > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(server!.watches.size).toBe(0);
  });
});
