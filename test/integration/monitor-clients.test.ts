import { afterAll, beforeAll, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp.js';

/** MONITOR through the Node clients' own monitor APIs: each parses lapse's lines into time, arguments, source and database. */
let lapse: LapseServer;
let port = 0;
beforeAll(async () => {
  lapse = createServer({ port: 0, bind: '127.0.0.1' });
  port = (await lapse.listen()).port;
});
afterAll(() => lapse.close());

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

test('ioredis monitor(): time, arguments, source and database of each command, scripts included', async () => {
  const client = new IORedis({ port, host: '127.0.0.1' });
  const monitor = await client.monitor();
  const seen: { time: string; args: string[]; source: string; database: string }[] = [];
  monitor.on('monitor', (time: string, args: string[], source: string, database: string) => seen.push({ time, args, source, database }));
  const writer = new IORedis({ port, host: '127.0.0.1', db: 2 });
  await writer.set('session:1', '{"user":"ann"}');
  await writer.eval("return redis.call('get', KEYS[1])", 1, 'session:1');
  await settle();
  // What the clients send on connecting (HELLO, INFO ...) is shown too; the commands of the test:
  const mine = seen.filter((s) => ['set', 'eval', 'get'].includes(s.args[0]!.toLowerCase()));
  expect(mine.map((s) => s.args)).toEqual([['set', 'session:1', '{"user":"ann"}'], ['eval', "return redis.call('get', KEYS[1])", '1', 'session:1'], ['get', 'session:1']]);
  expect(mine[0]!.database).toBe('2');
  expect(mine[0]!.source).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(mine[2]!.source).toBe('lua');
  expect(Number(mine[0]!.time)).toBeGreaterThan(Date.now() / 1000 - 10);
  monitor.disconnect();
  writer.disconnect();
  client.disconnect();
});

test('node-redis monitor(): the lines reach its listener', async () => {
  const client = createClient({ socket: { port, host: '127.0.0.1' } });
  await client.connect();
  const seen: string[] = [];
  await client.monitor((line) => seen.push(line));
  const writer = createClient({ socket: { port, host: '127.0.0.1' } });
  await writer.connect();
  await writer.set('k', 'v');
  await writer.hSet('h', 'f', 'v');
  await settle();
  expect(seen.some((l) => /^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "k" "v"$/.test(l))).toBe(true);
  expect(seen.some((l) => /"HSET" "h" "f" "v"$/.test(l))).toBe(true);
  await writer.quit();
  client.destroy();
});

test('a monitor that stops reading is cut off by client-output-buffer-limit normal; the others are served', async () => {
  const server = createServer({ port: 0, bind: '127.0.0.1', 'client-output-buffer-limit': 'normal 64kb 0 0' });
  const serverPort = (await server.listen()).port;
  const monitor = await RawClient.connect(serverPort);
  const writer = await RawClient.connect(serverPort);
  try {
    expect((await monitor.call('MONITOR')).toString()).toBe('+OK\r\n');
    // From now on the monitor reads nothing: its lines pile up in the server.
    monitor.pause();
    const value = 'v'.repeat(2000);
    let gone = false;
    for (let round = 0; round < 200 && !gone; round++) {
      writer.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeCommand(['SET', `k:${round}:${i}`, value]))));
      for (let i = 0; i < 50; i++) await writer.readReplyBytes();
      gone = server.monitors.size === 0;
    }
    expect(gone, 'the monitor was disconnected').toBe(true);
    expect((await writer.call('PING')).toString()).toBe('+PONG\r\n');
    const list = (await writer.call('CLIENT', 'LIST')).toString('latin1');
    expect(list.match(/^id=/gm)).toHaveLength(1);
  } finally {
    monitor.close();
    writer.close();
    await server.close();
  }
});
