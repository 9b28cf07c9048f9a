import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';

/**
 * MONITOR against redis-server 7.0: a monitor on each server, the same commands on both,
 * and the monitors' lines compared once the time and the client's port are masked
 * (`+<seconds>.<microseconds>` and `127.0.0.1:<port>` differ by nature): the quoting of
 * arguments, the database, `lua` for a script's commands (after the script's own line),
 * MULTI/EXEC, AUTH and HELLO AUTH redacted, administrative commands and rejected ones
 * not shown.
 */
const p = pairSuite();

function lines(buf: Buffer): string[] {
  return buf
    .toString('latin1')
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\+\d+\.\d{6} /, '+T ').replace(/127\.0\.0\.1:\d+/, 'ADDR'));
}

describe('MONITOR', () => {
  test('what monitors see of commands, scripts, transactions and secrets', async () => {
    const monitors = await p.connect();
    await p.exactOn(monitors, 'MONITOR');                                        // exact: +OK
    const script = "return redis.call('set', KEYS[1], ARGV[1])";
    const commands: string[][] = [
      ['SET', 'plain', 'value'],
      ['SET', 'with space', 'quote"back\\slash'],
      ['SET', 'bin\x00ary', 'new\nline\ttab\x01\xff'],
      ['GET', 'plain'],
      ['SELECT', '3'],
      ['INCR', 'n'],
      ['SELECT', '0'],
      ['EVAL', script, '1', 'from-lua', 'x'],
      ['EVALSHA', 'a42059b356c875f0717db19a51f6aaca9ae659ea', '0'],
      ['FUNCTION', 'LOAD', "#!lua name=mon\nredis.register_function('f', function(keys, args) return redis.call('incr', keys[1]) end)"],
      ['FCALL', 'f', '1', 'counter'],
      ['MULTI'], ['SET', 'tx', '1'], ['INCR', 'tx'], ['EXEC'],
      // A transaction that EXECABORTs (a queued command refused), and one discarded.
      ['MULTI'], ['SET', 'tx'], ['INCR', 'tx'], ['EXEC'],
      ['MULTI'], ['SET', 'tx', '2'], ['DISCARD'],
      ['AUTH', 'nopassword'],
      ['AUTH', 'a', 'b', 'c'],
      ['AUTH', 'someone', 'secret'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['NOSUCHCOMMAND', 'x'],
      ['GET'],
      ['PING'],
      ['CLIENT', 'SETNAME', 'monitored'],
      ['DBSIZE'],
    ];
    // The monitor's own line in CLIENT LIST (flags O).
    const monitorLine = (list: Buffer) =>
      list.toString('latin1').split('\n').find((l) => l.includes('cmd=monitor'))?.split(' ').filter((f) => /^(flags|db|cmd)=/.test(f)).join(' ');
    const [la, lb] = await p.both(['CLIENT', 'LIST']);
    expect(monitorLine(lb)).toEqual(monitorLine(la));                            // the flags, db and cmd fields
    expect(monitorLine(la)).toContain('flags=O');
    for (const argv of commands) await p.both(argv);                             // replies not compared here (other tests do)
    const hello = await p.connect();
    await p.both(['HELLO', '2', 'AUTH', 'default', 'wrong'], hello);
    // A second MONITOR on the monitor connection is ignored (no reply) on both.
    for (const c of monitors) c.send('MONITOR');
    // RESET ends monitoring: what follows it is not seen.
    const resetting = await p.connect();
    await p.both(['MONITOR'], resetting);
    await p.both(['RESET'], resetting);
    await p.both(['SET', 'after-reset', '1']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [resetR, resetL] = resetting.map((c) => lines(c.pending()));
    expect(resetL).toEqual(resetR);                                              // exact but time and port
    expect(resetR.some((l) => l.includes('after-reset'))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [redis, lapse] = monitors.map((c) => lines(c.pending()));
    expect(lapse).toEqual(redis);                                                // exact but the time and port, line for line
    expect(redis.length).toBeGreaterThan(15);
    expect(redis.some((l) => l.includes('[0 lua] "set" "from-lua" "x"'))).toBe(true);
    expect(redis.some((l) => l.includes('"HELLO" "2" "AUTH" "(redacted)" "(redacted)"'))).toBe(true);
    expect(redis.some((l) => l.includes('"AUTH" "(redacted)" "(redacted)"'))).toBe(true);
  });

  test('MONITOR inside MULTI, and its COMMAND INFO', async () => {
    await p.exact('MULTI');                                                      // exact
    await p.exact('MONITOR');                                                    // exact: QUEUED
    await p.exact('EXEC');                                                       // exact: the DENY BLOCKING error inside
    await p.exact('COMMAND', 'INFO', 'MONITOR');                                 // exact
    await p.exact('COMMAND', 'DOCS', 'MONITOR');                                 // exact
  });
});
