import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { protectedModeRefuses } from '../../src/server/protected-mode.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { show } from '../compat/harness.js';

/**
 * Protected mode against Redis 7.0: while the default user needs no password, clients
 * from anywhere but 127.0.0.1 and ::1 get Redis's DENIED message and are closed.
 *
 * Both servers listen on loopback and on this machine's other addresses; a client
 * "from elsewhere" either connects to such an address (its source is then that address,
 * not loopback) or to 127.0.0.1 from 127.0.0.5, which Linux routes over the loopback
 * interface but which Redis does not count as loopback. The second always works, so
 * the test never depends on the machine having a network interface.
 */

/** This machine's addresses other than loopback (link-local IPv6 left out: it needs a scope). */
function externalAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80'))) out.push(a.address);
    }
  }
  return out;
}

const external = externalAddresses();
const binds = ['127.0.0.1', '-::1', ...external];
let redis: ReferenceRedis;
let lapse: LapseServer;
let lapsePort = 0;

beforeAll(async () => {
  redis = await startRedis(['--bind', binds.join(' ')]);
  lapse = createServer({ port: 0, bind: binds.join(' ') });
  lapsePort = (await lapse.listen()).port;
});
afterAll(async () => {
  await lapse?.close();
  await redis?.stop();
});

/**
 * Everything a server sends a client that connects and, after 200 ms of silence, sends
 * PING, until it closes (or 2 s). A refused client sends nothing before the DENIED
 * message arrives: data still unread when a server closes makes the kernel answer with
 * a reset, which could overtake the message.
 */
function firstWords(port: number, host: string, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, localAddress }, () => {
      setTimeout(() => {
        if (got.length === 0 && !socket.destroyed) socket.write('PING\r\n');
      }, 200);
    });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`${got.toString('latin1')}<still open>`);
    }, 2000);
    socket.on('data', (d) => {
      got = Buffer.concat([got, d]);
      // A reply that is not the DENIED message means the connection stays: stop here.
      if (!got.toString('latin1').startsWith('-DENIED') && got.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got.toString('latin1'));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(`${got.toString('latin1')}<closed>`);
    });
  });
}

/** Both servers answer a client from this address the same, byte for byte; returns it. */
async function sameFrom(what: string, host: string, localAddress?: string): Promise<string> {
  const a = await firstWords(redis.port, host, localAddress);
  const b = await firstWords(lapsePort, host, localAddress);
  expect(JSON.stringify(b), `exact: ${what}`).toBe(JSON.stringify(a));
  return a;
}

/** A command on both servers through loopback connections (the administrator's). */
async function admin(...args: string[]): Promise<void> {
  const r = await RawClient.connect(redis.port);
  const l = await RawClient.connect(lapsePort);
  for (const c of [r, l]) await c.call('AUTH', 'admin', 'admin-pw');
  expect(show(await l.call(...args)), `exact: ${args.join(' ')}`).toBe(show(await r.call(...args)));
  r.close();
  l.close();
}

function stat(info: string, field: string): number {
  return Number(new RegExp(`${field}:(\\d+)`).exec(info)![1]);
}

async function stats(port: number): Promise<{ total: number; rejected: number }> {
  const c = await RawClient.connect(port);
  await c.call('AUTH', 'admin', 'admin-pw');
  const info = (await c.call('INFO', 'stats')).toString('latin1');
  c.close();
  return { total: stat(info, 'total_connections_received'), rejected: stat(info, 'rejected_connections') };
}

describe('protected mode', () => {
  test('clients from elsewhere are refused while the default user has no password', async () => {
    // An administrator that protected mode does not concern (it authenticates anyway).
    for (const port of [redis.port, lapsePort]) {
      const c = await RawClient.connect(port);
      await c.call('ACL', 'SETUSER', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all');
      c.close();
    }
    const before = [await stats(redis.port), await stats(lapsePort)];
    expect(await sameFrom('from 127.0.0.1', '127.0.0.1')).toBe('+PONG\r\n');
    const denied = await sameFrom('from 127.0.0.5', '127.0.0.1', '127.0.0.5');
    expect(denied).toMatch(/^-DENIED Redis is running in protected mode .*\r\n<closed>$/);
    for (const address of external) await sameFrom(`to and from ${address}`, address);
    const after = [await stats(redis.port), await stats(lapsePort)];
    // Refused connections count as rejected, not as received.
    const delta = (i: number) => ({ total: after[i]!.total - before[i]!.total, rejected: after[i]!.rejected - before[i]!.rejected });
    expect(delta(1), 'exact: INFO stats deltas').toEqual(delta(0));
    expect(delta(1).rejected).toBe(1 + external.length);
  });

  test('a password, or protected-mode no, lets them in', async () => {
    await admin('CONFIG', 'SET', 'requirepass', 'pw');
    expect(await sameFrom('from 127.0.0.5 with a password', '127.0.0.1', '127.0.0.5')).toBe('-NOAUTH Authentication required.\r\n');
    await admin('ACL', 'SETUSER', 'default', 'nopass', 'off');
    expect(await sameFrom('default user off but nopass', '127.0.0.1', '127.0.0.5')).toMatch(/^-DENIED/);
    await admin('ACL', 'SETUSER', 'default', 'resetpass', 'on');
    expect(await sameFrom('default user with no password at all', '127.0.0.1', '127.0.0.5')).toBe('-NOAUTH Authentication required.\r\n');
    await admin('ACL', 'SETUSER', 'default', 'nopass');
    await admin('CONFIG', 'SET', 'protected-mode', 'no');
    await admin('CONFIG', 'GET', 'protected-mode');
    expect(await sameFrom('protected mode off', '127.0.0.1', '127.0.0.5')).toBe('+PONG\r\n');
    for (const address of external) expect(await sameFrom(`to and from ${address}`, address)).toBe('+PONG\r\n');
    await admin('CONFIG', 'SET', 'protected-mode', 'maybe');
    await admin('CONFIG', 'SET', 'protected-mode', 'YES');
    expect(await sameFrom('protected mode on again', '127.0.0.1', '127.0.0.5')).toMatch(/^-DENIED/);
  });
});

describe('the decision', () => {
  test('only 127.0.0.1 and ::1 are loopback, and only a nopass default user is protected', () => {
    expect(protectedModeRefuses(true, true, '127.0.0.1')).toBe(false);
    expect(protectedModeRefuses(true, true, '::1')).toBe(false);
    expect(protectedModeRefuses(true, true, '::ffff:127.0.0.1')).toBe(false);
    expect(protectedModeRefuses(true, true, '127.0.0.2')).toBe(true);
    expect(protectedModeRefuses(true, true, '192.0.2.7')).toBe(true);
    expect(protectedModeRefuses(true, true, 'fd00::2')).toBe(true);
    expect(protectedModeRefuses(true, true, undefined)).toBe(true);
    expect(protectedModeRefuses(false, true, '192.0.2.7')).toBe(false);
    expect(protectedModeRefuses(true, false, '192.0.2.7')).toBe(false);
  });
});
