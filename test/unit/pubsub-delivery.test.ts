import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { createServer, type LapseServer } from '../../src/server/server.js';
import { Connection } from '../../src/server/connection.js';
import { encodeCommand } from '../helpers/resp.js';
import { clientInfoLine } from '../../src/commands/client-info-line.js';

/**
 * How pub/sub messages reach other connections: queued during the publisher's batch,
 * one socket write per receiver at its end, the same encoded bytes for every receiver
 * of a protocol, messages produced outside any batch (the timer wheel) written on the
 * next turn or before the receiver's own next replies. Sockets are fakes that record
 * every write, so writes can be counted.
 */

/** The parts of a net.Socket a Connection uses; records writes. */
class FakeSocket extends EventEmitter {
  readonly writes: Buffer[] = [];
  remoteAddress = '127.0.0.1';
  remotePort = 50000;
  localAddress = '127.0.0.1';
  localPort = 6379;
  writableLength = 0;
  destroyed = false;
  setNoDelay(): void {}
  setKeepAlive(): void {}
  pause(): void {}
  resume(): void {}
  write(data: Buffer): boolean {
    this.writes.push(data);
    return true;
  }
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  /** The client sends a command. */
  send(...args: string[]): void {
    this.emit('data', encodeCommand(args));
  }
  /** Everything written, as text, and forget it. */
  take(): string[] {
    return this.writes.splice(0).map((b) => b.toString('latin1'));
  }
}

let server: LapseServer;
afterEach(() => server?.close());

function setup() {
  const clock = new ManualClock();
  const logged: string[] = [];
  server = createServer({ clock, logger: { log: (_level, line) => logged.push(line) } });
  const connect = () => {
    const socket = new FakeSocket();
    const connection = new Connection(server, socket as unknown as net.Socket);
    return { socket, connection };
  };
  return { clock, connect, logged };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The replies held for the end of the turn go out; what the sockets were written so far is dropped (set-up). */
async function settle(...sockets: FakeSocket[]): Promise<void> {
  await nextTurn();
  for (const socket of sockets) socket.take();
}

const message = (channel: string, text: string, push = '*') =>
  `${push}3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${text.length}\r\n${text}\r\n`;

describe('delivery to other connections', () => {
  test('a batch of publications reaches each receiver in one write, after the batch', async () => {
    const { connect } = setup();
    const pub = connect();
    const s1 = connect();
    const s2 = connect();
    s1.socket.send('SUBSCRIBE', 'c');
    s2.socket.send('SUBSCRIBE', 'c');
    await settle(s1.socket, s2.socket);
    // Three PUBLISH in one read: one batch.
    const batch = Buffer.concat([encodeCommand(['PUBLISH', 'c', 'a']), encodeCommand(['PUBLISH', 'c', 'b']), encodeCommand(['PUBLISH', 'c', 'c'])]);
    pub.socket.emit('data', batch);
    // The receivers' messages are written when the publisher's batch ends...
    for (const s of [s1, s2]) expect(s.socket.take()).toEqual([message('c', 'a') + message('c', 'b') + message('c', 'c')]);
    // ...and the publisher's replies once the turn's reads have run.
    expect(pub.socket.take()).toEqual([]);
    await nextTurn();
    expect(pub.socket.take()).toEqual([':2\r\n:2\r\n:2\r\n']);
  });

  test('one message is encoded once per protocol and the same bytes go to each receiver', async () => {
    const { connect } = setup();
    const pub = connect();
    const r2a = connect();
    const r2b = connect();
    const r3 = connect();
    r3.socket.send('HELLO', '3');
    for (const s of [r2a, r2b, r3]) s.socket.send('SUBSCRIBE', 'c');
    await settle(r2a.socket, r2b.socket, r3.socket);
    pub.socket.send('PUBLISH', 'c', 'hello');
    await nextTurn();
    expect(pub.socket.take()).toEqual([':3\r\n']);
    const [a] = r2a.socket.writes;
    const [b] = r2b.socket.writes;
    const [c] = r3.socket.writes;
    expect(a).toBe(b); // the same Buffer
    expect(a!.toString('latin1')).toBe(message('c', 'hello'));
    expect(c!.toString('latin1')).toBe(message('c', 'hello', '>'));
  });

  test("the publisher's own messages go in line with its replies", async () => {
    const { connect } = setup();
    const self = connect();
    self.socket.send('HELLO', '3');
    self.socket.send('SUBSCRIBE', 'c');
    await settle(self.socket);
    self.socket.send('PUBLISH', 'c', 'x');
    await nextTurn();
    expect(self.socket.take()).toEqual([message('c', 'x', '>') + ':1\r\n']);
  });

  test('the replies of several reads in one turn go out in one write, in order', async () => {
    const { connect } = setup();
    const c = connect();
    c.socket.send('SET', 'k', 'v');
    c.socket.send('GET', 'k');
    c.socket.send('PING');
    expect(c.socket.writes).toHaveLength(0);
    await nextTurn();
    expect(c.socket.take()).toEqual(['+OK\r\n$1\r\nv\r\n+PONG\r\n']);
  });

  test('a message published to a client later in the turn follows the replies held for it', async () => {
    const { connect } = setup();
    const pub = connect();
    const sub = connect();
    sub.socket.send('SUBSCRIBE', 'c');
    pub.socket.send('PUBLISH', 'c', 'x');
    // The message is written at the end of the publisher's batch, after what sub was owed.
    expect(sub.socket.take()).toEqual(['*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n', message('c', 'x')]);
    await nextTurn();
    expect(sub.socket.take()).toEqual([]);
    expect(pub.socket.take()).toEqual([':1\r\n']);
  });

  test('expired events from the timer wheel: written on the next turn, one write', async () => {
    const { clock, connect } = setup();
    const sub = connect();
    const admin = connect();
    admin.socket.send('CONFIG', 'SET', 'notify-keyspace-events', 'Ex');
    sub.socket.send('SUBSCRIBE', '__keyevent@0__:expired');
    await settle(sub.socket);
    admin.socket.send('SET', 'a', '1', 'PX', '10');
    admin.socket.send('SET', 'b', '1', 'PX', '10');
    clock.advance(11); // the wheel fires outside any batch
    expect(sub.socket.writes).toHaveLength(0);
    await nextTurn();
    expect(sub.socket.take()).toEqual([message('__keyevent@0__:expired', 'a') + message('__keyevent@0__:expired', 'b')]);
  });

  test("messages queued before a receiver's own batch are written first, with its replies", async () => {
    const { clock, connect } = setup();
    const sub = connect();
    sub.socket.send('HELLO', '3');
    sub.socket.send('CONFIG', 'SET', 'notify-keyspace-events', 'Ex');
    sub.socket.send('SUBSCRIBE', '__keyevent@0__:expired');
    sub.socket.send('SET', 'k', 'v', 'PX', '5');
    await settle(sub.socket);
    clock.advance(6); // queued for the next turn...
    sub.socket.send('PING'); // ...but the client's own command comes first
    expect(sub.socket.take()).toEqual([message('__keyevent@0__:expired', 'k', '>') + '+PONG\r\n']);
  });

  test('a receiver that is not reading: its unsent bytes are its omem; past the pubsub hard limit it is closed', async () => {
    const { connect, logged } = setup();
    const pub = connect();
    const sub = connect();
    sub.socket.send('SUBSCRIBE', 'c');
    await settle(sub.socket);
    sub.socket.writableLength = 20 * 1024 * 1024; // the kernel's and Node's buffers are full
    pub.socket.send('PUBLISH', 'c', 'x');
    expect(sub.socket.take()).toEqual([message('c', 'x')]); // under the 32 MB hard limit: written
    const line = clientInfoLine(sub.connection.client, Date.now(), 0);
    expect(line).toContain(` obl=0 oll=0 omem=${20 * 1024 * 1024} `);
    sub.socket.writableLength = 32 * 1024 * 1024;
    pub.socket.send('PUBLISH', 'c', 'y');
    await nextTurn();
    expect(pub.socket.take()).toEqual([':1\r\n:1\r\n']);
    expect(sub.socket.take()).toEqual([]); // dropped with the client
    const warning = logged.find((l) => l.includes('scheduled to be closed ASAP for overcoming of output buffer limits.'));
    // Described as Redis describes it, before the A flag is set.
    expect(warning).toMatch(/^Client id=\d+ addr=127\.0\.0\.1:50000 .* flags=P .* omem=\d+ .* cmd=subscribe /);
    expect(sub.socket.destroyed).toBe(true);
    pub.socket.send('PUBLISH', 'c', 'w');
    await nextTurn();
    expect(pub.socket.take()).toEqual([':0\r\n']);
    expect(sub.socket.take()).toEqual([]);
  });

  test('over the pubsub soft limit for longer than its seconds, a receiver is closed', async () => {
    const { clock, connect, logged } = setup();
    const admin = connect();
    admin.socket.send('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 0 1000 2');
    const pub = connect();
    const sub = connect();
    sub.socket.send('SUBSCRIBE', 'c');
    await settle(sub.socket);
    sub.socket.writableLength = 1000;
    pub.socket.send('PUBLISH', 'c', 'a'); // over the soft limit: the clock starts
    clock.advance(2000);
    pub.socket.send('PUBLISH', 'c', 'b'); // 2 s over it: not more than 2
    expect(sub.socket.take()).toEqual([message('c', 'a'), message('c', 'b')]);
    sub.socket.writableLength = 0;
    sub.socket.emit('drain'); // everything sent: under the limit again
    sub.socket.writableLength = 1000;
    clock.advance(5000);
    pub.socket.send('PUBLISH', 'c', 'c'); // over again: the clock starts again
    clock.advance(2000);
    pub.socket.send('PUBLISH', 'c', 'd');
    expect(sub.socket.take()).toEqual([message('c', 'c'), message('c', 'd')]);
    expect(logged.filter((l) => l.includes('output buffer limits'))).toEqual([]);
    clock.advance(1000);
    pub.socket.send('PUBLISH', 'c', 'e'); // 3 s over it
    expect(sub.socket.take()).toEqual([]);
    expect(logged.filter((l) => l.includes('output buffer limits'))).toHaveLength(1);
    await nextTurn();
    expect(sub.socket.destroyed).toBe(true);
  });

  test('a normal client over a normal limit is closed after its batch, its held replies unsent; the default has none', async () => {
    const { connect, logged } = setup();
    const c = connect();
    c.socket.writableLength = 10 * 1024 * 1024;
    c.socket.send('PING');
    await nextTurn();
    expect(c.socket.take()).toEqual(['+PONG\r\n']);
    c.socket.send('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1mb 0 0');
    expect(logged.some((l) => l.includes('cmd=config|set') && l.endsWith('for overcoming of output buffer limits.'))).toBe(true);
    c.socket.send('PING'); // not read any more
    await nextTurn();
    // As Redis, which writes nothing more to a client it is closing (CLIENT_CLOSE_ASAP).
    expect(c.socket.take()).toEqual([]);
    expect(c.socket.destroyed).toBe(true);
  });

  test('a read that answers nothing and closes (CLIENT REPLY SKIP, QUIT) still sends what an earlier read of the turn was owed', async () => {
    const { connect } = setup();
    const c = connect();
    c.socket.send('PING');
    c.socket.emit('data', Buffer.concat([encodeCommand(['CLIENT', 'REPLY', 'SKIP']), encodeCommand(['QUIT'])]));
    await nextTurn();
    expect(c.socket.take()).toEqual(['+PONG\r\n']);
  });

  test("replies held for the end of the turn are written before a timer wheel's continuation runs", async () => {
    // The server's own clock (a SystemClock): a wheel that yields continues from clock.defer.
    server = createServer({ logger: { log: () => {} } });
    const socket = new FakeSocket();
    new Connection(server, socket as unknown as net.Socket);
    const seen: number[] = [];
    // Queued before the client's read, as a wheel's continuation queued a turn earlier.
    server.clock.defer(() => seen.push(socket.writes.length));
    socket.send('PING');
    expect(socket.writes).toHaveLength(0);
    await nextTurn();
    expect(seen).toEqual([1]);
    expect(socket.take()).toEqual(['+PONG\r\n']);
  });

  test('held replies count toward the output limits past the 16 KiB of Redis\'s reply buffer', async () => {
    const { connect, logged } = setup();
    const c = connect();
    c.socket.send('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 16kb 0 0');
    c.socket.send('SET', 'k', 'x'.repeat(9000));
    await settle(c.socket);
    c.socket.send('GET', 'k'); // 9 KB held: within the reply buffer
    const line = clientInfoLine(c.connection.client, Date.now(), 0);
    expect(line).toContain(' omem=0 ');
    c.socket.send('GET', 'k');
    c.socket.send('GET', 'k'); // 27 KB held: 11 KB over the reply buffer
    expect(clientInfoLine(c.connection.client, Date.now(), 0)).toMatch(/ omem=\d{5} /);
    expect(logged.filter((l) => l.includes('output buffer limits'))).toEqual([]);
    c.socket.send('GET', 'k'); // 36 KB: 19 KB over it
    expect(logged.filter((l) => l.includes('output buffer limits'))).toHaveLength(1);
    await nextTurn();
    expect(c.socket.take()).toEqual([]);
    expect(c.socket.destroyed).toBe(true);
  });

  test('a closed receiver is unsubscribed and gets nothing', async () => {
    const { connect } = setup();
    const pub = connect();
    const sub = connect();
    sub.socket.send('SUBSCRIBE', 'c');
    await settle(sub.socket);
    sub.socket.emit('close');
    pub.socket.send('PUBLISH', 'c', 'x');
    await nextTurn();
    expect(pub.socket.take()).toEqual([':0\r\n']);
    expect(sub.socket.writes).toHaveLength(0);
  });
});
