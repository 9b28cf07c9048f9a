import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { encodeCommand, decodeReply, toJs } from '../helpers/resp.js';

/**
 * SLOWLOG against redis-server 7.0, with slowlog-log-slower-than 0 (every command
 * logged): the entries' arguments (trimmed as Redis trims them), client names, order,
 * lengths, and the errors and help, compared exactly; the id, time, duration and the
 * client's port are masked (their type and range checked).
 */
const p = pairSuite();

type Entry = [number, number, number, string[], string, string];

/** SLOWLOG GET's entries, after checking each one's shape: [id, time, µs, argv, address, name]. */
async function entries(...count: string[]): Promise<[Entry[], Entry[]]> {
  const [r, l] = await p.both(["SLOWLOG", "GET", ...count]);
  const read = (b: Buffer) => toJs(decodeReply(b)!.reply) as Entry[];
  const now = Date.now() / 1000;
  for (const e of [...read(r), ...read(l)]) {
    expect(e).toHaveLength(6);
    expect(Math.abs(Number(e[1]) - now)).toBeLessThan(60);
    expect(Number(e[2])).toBeGreaterThanOrEqual(0);
  }
  return [read(r), read(l)];
}

/** Entries without id, time, duration and port; ids checked to count down by one. */
function masked(list: Entry[]): unknown[] {
  list.forEach((e, i) => {
    if (i > 0) expect(Number(e[0])).toBe(Number(list[i - 1]![0]) - 1);
  });
  return list.map((e) => [e[3], String(e[4]).replace(/:\d+$/, ':*'), e[5]]);
}

async function sameEntries(...count: string[]): Promise<void> {
  const [r, l] = await entries(...count);
  expect(masked(l)).toEqual(masked(r));
}

describe('SLOWLOG', () => {
  test('every command logged at threshold 0, newest first, with the client name', async () => {
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '0');        // exact
    await p.exact('SLOWLOG', 'RESET');                                     // exact
    await p.run([['SET', 'k', 'v'], ['CLIENT', 'SETNAME', 'web-1'], ['GET', 'k'], ['HSET', 'h', 'f', 'v']]);
    await p.error('INCR', 'k');                                            // logged too: it ran
    await p.error('GET');                                                  // not logged: refused
    await sameEntries();
    await sameEntries('2');
    await sameEntries('-1');
    await sameEntries('0');
    await p.exact('SLOWLOG', 'LEN');                                       // exact
  });

  test('arguments trimmed: 128 bytes and "... (n more bytes)", 32 arguments and "... (n more arguments)"', async () => {
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await p.exact('SLOWLOG', 'RESET');
    await p.exact('SET', 'long', 'x'.repeat(300));
    await p.exact('RPUSH', 'list', ...Array.from({ length: 40 }, (_, i) => `e${i}`));
    await p.exact('RPUSH', 'list2', ...Array.from({ length: 29 }, (_, i) => `e${i}`)); // 31 arguments: whole
    await p.exact('RPUSH', 'list3', ...Array.from({ length: 30 }, (_, i) => `e${i}`)); // 32: whole
    await p.exact('RPUSH', 'list4', ...Array.from({ length: 31 }, (_, i) => `e${i}`)); // 33: cut
    await sameEntries('-1');
  });

  test('EXEC is not logged (its commands are); scripts\' commands are, as the script client', async () => {
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await p.exact('SLOWLOG', 'RESET');
    await p.run([['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['EXEC']]);
    await p.exact('EVAL', "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", '1', 'sk', 'sv');
    await sameEntries('-1');
  });

  test('secrets read "(redacted)": AUTH, HELLO AUTH, ACL SETUSER, CONFIG SET of a password', async () => {
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await p.exact('SLOWLOG', 'RESET');
    await p.error('AUTH', 'secret');
    await p.error('AUTH', 'someone', 'secret');
    await p.error('AUTH', 'a', 'b', 'c');                                  // refused before it hides anything
    await p.error('HELLO', '2', 'AUTH', 'nobody', 'wrong');
    await p.both(['HELLO', '2', 'SETNAME', 'n1']);                         // (the client ids differ)
    await p.exact('ACL', 'SETUSER', 'alice', 'on', '>pw', '~*');           // exact
    await p.exact('ACL', 'DELUSER', 'alice');                              // exact
    await p.exact('CONFIG', 'SET', 'maxmemory-samples', '5', 'masterauth', 'topsecret'); // exact
    await p.exact('CONFIG', 'SET', 'masterauth', '');                      // exact
    await sameEntries('-1');
  });

  test('a blocked BLPOP is logged when it is served, with its arguments', async () => {
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    const waiting = await p.connect();
    for (const c of waiting) c.write(encodeCommand(['BLPOP', 'queue', '0']));
    await new Promise((r) => setTimeout(r, 100));
    await p.exact('SLOWLOG', 'RESET');
    await p.exact('RPUSH', 'queue', 'job');
    for (const c of waiting) {
      for (let i = 0; i < 100 && c.pending().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    }
    expect(show(waiting[1].pending())).toBe(show(waiting[0].pending()));
    await sameEntries('-1');
  });

  test('slowlog-max-len keeps the newest; -1 turns the log off; a high threshold logs nothing', async () => {
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await p.exact('SLOWLOG', 'RESET');
    await p.exact('CONFIG', 'SET', 'slowlog-max-len', '3');                // exact
    for (let i = 0; i < 6; i++) await p.exact('SET', `k${i}`, 'v');
    await p.exact('SLOWLOG', 'LEN');                                       // exact: 3
    await sameEntries('-1');
    await p.exact('CONFIG', 'SET', 'slowlog-max-len', '1');                // trims at once
    await p.exact('SLOWLOG', 'LEN');                                       // exact: 1
    await p.exact('CONFIG', 'SET', 'slowlog-max-len', '128');
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    await p.exact('SLOWLOG', 'RESET');
    await p.exact('SET', 'x', 'y');
    await p.exact('SLOWLOG', 'LEN');                                       // exact: 0
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '1000000');
    await p.exact('SET', 'x', 'y');
    await p.exact('SLOWLOG', 'LEN');                                       // exact: 0
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  });

  test('errors, help, and the commands\' metadata', async () => {
    await p.exact('SLOWLOG', 'GET', '-2');                                 // exact
    await p.exact('SLOWLOG', 'GET', 'x');                                  // exact
    await p.exact('SLOWLOG', 'GET', '1', '2');                             // exact
    await p.exact('SLOWLOG', 'LEN', 'x');                                  // exact: arity
    await p.exact('SLOWLOG', 'NOSUCH');                                    // exact
    await p.exact('SLOWLOG');                                              // exact: arity
    await p.exact('SLOWLOG', 'HELP');                                      // exact
    await p.exact('slowlog', 'help');                                      // exact
    for (const sub of ['GET', 'LEN', 'RESET', 'HELP']) {
      await p.exact('COMMAND', 'INFO', `SLOWLOG|${sub}`);                  // exact
      await p.exact('COMMAND', 'DOCS', `SLOWLOG|${sub}`);                  // exact
    }
  });
});
