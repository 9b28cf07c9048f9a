import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, toJs } from '../helpers/resp.js';

/**
 * Two servers in one process keep their own hash encoding settings: the limits of the
 * compact encoding are each server's (its keyspace's HashEncoding), set at start-up and
 * by CONFIG SET, never the last configured server's for all (they were process-wide).
 *
 * The encoding is seen through HSCAN, as Redis shows it: a compact hash (a listpack) is
 * returned whole by the first call whatever COUNT says, with cursor 0; a table-form hash
 * returns about COUNT fields per call and a non-zero cursor while fields remain.
 */

const servers: LapseServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Record<string, unknown>): Promise<RawClient> {
  const server = createServer({ port: 0, bind: '127.0.0.1', ...options });
  servers.push(server);
  const { port } = await server.listen();
  const client = await RawClient.connect(port);
  clients.push(client);
  return client;
}

async function call(client: RawClient, ...args: string[]): Promise<unknown> {
  return toJs(decodeReply(await client.call(...args))!.reply);
}

/** HSCAN key 0 COUNT 1 of a 3-field hash: 'compact' if one call returned it whole. */
async function encodingSeenByHscan(client: RawClient, key: string): Promise<'compact' | 'table'> {
  expect(await call(client, 'HSET', key, 'a', '1', 'b', '2', 'c', '3')).toBe(3);
  const [cursor, pairs] = (await call(client, 'HSCAN', key, '0', 'COUNT', '1')) as [string, string[]];
  if (cursor === '0') {
    expect(pairs.length).toBe(6);
    return 'compact';
  }
  expect(pairs.length).toBeLessThan(6);
  return 'table';
}

describe('two servers in one process', () => {
  test('each answers by its own hash-max-listpack-entries, from its options and after CONFIG SET on the other', async () => {
    // Created first, with a limit of 2: the second server's creation must not change it.
    const small = await start({ 'hash-max-listpack-entries': 2 });
    const large = await start({});
    expect(await encodingSeenByHscan(small, 'h1')).toBe('table');
    expect(await encodingSeenByHscan(large, 'h1')).toBe('compact');
    expect(await call(large, 'CONFIG', 'SET', 'hash-max-listpack-entries', '1')).toBe('OK');
    expect(await call(small, 'CONFIG', 'SET', 'hash-max-listpack-entries', '128')).toBe('OK');
    expect(await encodingSeenByHscan(large, 'h2')).toBe('table');
    expect(await encodingSeenByHscan(small, 'h2')).toBe('compact');
    expect(await call(small, 'CONFIG', 'GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '128']);
    expect(await call(large, 'CONFIG', 'GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '1']);
  });

  test('each answers by its own hash-max-listpack-value', async () => {
    const short = await start({ 'hash-max-listpack-value': 0 });
    const long = await start({});
    expect(await encodingSeenByHscan(short, 'h')).toBe('table');
    expect(await encodingSeenByHscan(long, 'h')).toBe('compact');
  });
});
