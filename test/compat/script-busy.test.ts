import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import type { RawClient } from '../helpers/raw-client.js';
import { ScriptEngine } from '../../src/scripting/script-engine.js';

/**
 * A script past busy-reply-threshold, driven the same way on redis-server 7.0.15 and
 * lapse (differential): with the threshold lowered by CONFIG SET on both, a script that
 * loops is started on one connection, and once another connection gets BUSY the same
 * commands go to both servers and their replies are compared byte for byte: BUSY's text
 * (SCRIPT KILL wording), what allow_busy lets through (MULTI, WATCH, DISCARD), EXEC
 * aborted, SHUTDOWN without NOSAVE refused, SCRIPT KILL, UNKILLABLE, NOTBUSY, and the
 * caller's own replies (the kill error with the script's sha and line, its pipelined
 * commands after it). Scripts that stop by themselves measure their time with TIME.
 * lapse runs in this process: its slices let the test's own sockets through.
 */
const p = pairSuite();

const THRESHOLD = '50';

/** PINGs on c until it answers BUSY (bounded): the script on the other connection is timed out. */
async function untilBusy(c: RawClient): Promise<Buffer> {
  for (let i = 0; i < 200; i++) {
    const reply = await c.call('PING');
    if (reply.toString('latin1').startsWith('-BUSY')) return reply;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the script never got timed out');
}

/** Sends `commands` on a caller connection of each server at once, then waits until both are busy. */
async function startBusy(commands: string[][]): Promise<[RawClient, RawClient]> {
  await p.run([['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD]]);
  const callers = await p.connect();
  for (const c of callers) for (const cmd of commands) c.send(...cmd);
  const [rb, lb] = [await untilBusy(p.r), await untilBusy(p.l)];
  expect(show(lb)).toBe(show(rb));
  return callers;
}

/** The next reply on each caller, compared exactly. */
async function callerReply([rc, lc]: [RawClient, RawClient], what: string): Promise<string> {
  const [a, b] = [await rc.readReplyBytes(10_000), await lc.readReplyBytes(10_000)];
  expect(show(b), `caller: ${what}`).toBe(show(a));
  return a.toString('latin1');
}

/** A loop that ends by itself after ms milliseconds (by TIME, which scripts see move). */
function loopFor(ms: number, body = ''): string {
  return (
    `local function now() local t = redis.call('time') return t[1] * 1000 + t[2] / 1000 end ` +
    `local t0 = now() while now() - t0 < ${ms} do ${body} end`
  );
}

describe('busy-reply-threshold', () => {
  test('is a parameter, lua-time-limit its alias', async () => {
    await p.run([
      ['CONFIG', 'GET', 'busy-reply-threshold'],
      ['CONFIG', 'SET', 'lua-time-limit', '1234'],
      ['CONFIG', 'GET', 'busy-reply-threshold'],
      ['CONFIG', 'GET', 'lua-time-limit'],
      ['CONFIG', 'SET', 'busy-reply-threshold', '-1'],
      ['CONFIG', 'SET', 'busy-reply-threshold', '5000'],
    ]);
  });

  test('SCRIPT KILL with nothing running: NOTBUSY', async () => {
    await p.exact('SCRIPT', 'KILL');
    await p.exact('SCRIPT', 'KILL', 'x');
  });
});

describe('a timed-out script', () => {
  test('others get BUSY (allow_busy commands run), SCRIPT KILL stops it, the caller gets the kill error, then its pipelined commands', async () => {
    const body = 'while true do end';
    const callers = await startBusy([['EVAL', body, '0'], ['SET', 'after', '1'], ['GET', 'after']]);
    await p.exact('GET', 'x');
    await p.exact('SET', 'x', '1');
    await p.exact('EVAL', 'return 1', '0');
    await p.exact('SCRIPT', 'FLUSH');
    await p.exact('CLIENT', 'LIST');
    await p.exact('SHUTDOWN');
    await p.exact('SHUTDOWN', 'SAVE');
    await p.exact('SHUTDOWN', 'NOSAVE', 'SAVE');
    await p.exact('WATCH', 'x');
    await p.exact('UNWATCH');
    await p.exact('MULTI');
    await p.exact('INCR', 'x');
    await p.exact('EXEC');
    await p.exact('MULTI');
    await p.exact('DISCARD');
    // A connection made now is accepted and answered.
    const fresh = await p.connect();
    await p.exactOn(fresh, 'PING');
    await p.exactOn(fresh, 'AUTH', 'nopass');
    await p.exactOn(fresh, 'QUIT');
    await p.exact('SCRIPT', 'KILL');
    const killed = await callerReply(callers, 'killed');
    expect(killed).toBe(`-ERR Script killed by user with SCRIPT KILL... script: ${ScriptEngine.sha1(body)}, on @user_script:1.\r\n`);
    await callerReply(callers, 'pipelined SET');
    await callerReply(callers, 'pipelined GET');
    await p.exact('GET', 'x');
    await p.exact('SCRIPT', 'KILL');
    await p.exact('INFO', 'errorstats');
  });

  test('pcall cannot swallow the kill', async () => {
    const callers = await startBusy([['EVAL', 'local n = 0\nwhile true do\n  pcall(function() while true do n = n + 1 end end)\nend', '0']]);
    await p.exact('SCRIPT', 'KILL');
    await callerReply(callers, 'killed inside pcall');
    await p.exact('PING');
  });

  test('a script that wrote is UNKILLABLE and runs to its end; time is frozen for it, expiry waits', async () => {
    await p.run([['SET', 'tmp', 'v', 'PX', '150'], ['RPUSH', 'l', 'a']]);
    const callers = await startBusy([
      ['EVAL', `redis.call('incr', 'w') ${loopFor(500, "redis.call('incr', 'n')")} return {redis.call('get', 'tmp'), redis.call('get', 'w')}`, '0'],
      ['GET', 'w'],
    ]);
    expect((await p.exact('SCRIPT', 'KILL')).toString('latin1')).toMatch(/^-UNKILLABLE /);
    expect((await p.exact('SHUTDOWN')).toString('latin1')).toMatch(/^-BUSY /);
    await p.exact('GET', 'w');
    expect(await callerReply(callers, 'script result: tmp still there for the script, w written')).toBe('*2\r\n$1\r\nv\r\n$1\r\n1\r\n');
    await callerReply(callers, 'pipelined GET');
    await p.exact('GET', 'tmp');
    await p.exact('EXISTS', 'n');
  });

  test('EVAL inside MULTI/EXEC: EXEC waits for it, its later commands run after', async () => {
    const callers = await startBusy([
      ['MULTI'], ['SET', 'a', '1'], ['EVAL', 'while true do end', '0'], ['INCR', 'a'], ['EXEC'], ['GET', 'a'],
    ]);
    await p.exact('GET', 'a');
    await p.exact('SCRIPT', 'KILL');
    const replies: string[] = [];
    for (const what of ['MULTI', 'QUEUED', 'QUEUED', 'QUEUED', 'EXEC', 'GET']) replies.push(await callerReply(callers, what));
    expect(replies[4]).toMatch(/^\*3\r\n\+OK\r\n-ERR Script killed by user with SCRIPT KILL\.\.\. .*\r\n:2\r\n$/);
  });

  test('two slow scripts in one EXEC: EXEC goes on after the first, waits for the second', async () => {
    const callers = await startBusy([
      ['MULTI'], ['EVAL', `${loopFor(200)} return 1`, '0'], ['INCR', 'c'], ['EVAL', `${loopFor(200)} return redis.call('incr', 'c')`, '0'], ['EXEC'], ['GET', 'c'],
    ]);
    await p.exact('GET', 'c');
    for (const what of ['MULTI', 'QUEUED', 'QUEUED', 'QUEUED', 'EXEC', 'GET']) await callerReply(callers, what);
    await p.exact('GET', 'c');
  });

  test('EVALSHA and a script that calls commands in every slice', async () => {
    const sha = (await p.exact('SCRIPT', 'LOAD', `${loopFor(300, "redis.call('get', 'k')")} return redis.call('incr', 'k')`)).toString('latin1');
    const callers = await startBusy([['EVALSHA', sha.split('\r\n')[1]!, '0']]);
    await p.exact('GET', 'k');
    await p.exact('SCRIPT', 'KILL');
    await callerReply(callers, 'killed read-only EVALSHA');
    await p.exact('GET', 'k');
  });
});

describe('a timed-out function (FCALL)', () => {
  test('others get the FUNCTION KILL wording, SCRIPT KILL is refused, FUNCTION STATS names it, FUNCTION KILL stops it', async () => {
    await p.exact('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=busylib\nredis.register_function('spin', function(keys, args) while true do end end)"); // exact
    const callers = await startBusy([['FCALL', 'spin', '0'], ['PING']]);
    await p.exact('GET', 'x');                                                 // exact: BUSY, FUNCTION KILL wording
    await p.exact('SCRIPT', 'KILL');                                           // exact: a function runs, not a script
    const [r, l] = await p.both(['FUNCTION', 'STATS']);                        // property: duration differs
    for (const reply of [r, l]) expect(reply.toString('latin1')).toMatch(/running_script\r\n\*6\r\n\$4\r\nname\r\n\$4\r\nspin\r\n\$7\r\ncommand\r\n\*3\r\n\$5\r\nFCALL\r\n\$4\r\nspin\r\n\$1\r\n0\r\n\$11\r\nduration_ms\r\n:\d+\r\n/);
    await p.exact('FUNCTION', 'KILL');                                         // exact: OK
    await callerReply(callers, 'killed function');
    await callerReply(callers, 'PING after it');
    await p.exact('FUNCTION', 'STATS');                                        // exact: nothing running
    await p.exact('FUNCTION', 'KILL');                                         // exact: NOTBUSY
  });

  test('FUNCTION STATS and FUNCTION KILL while an EVAL script is timed out', async () => {
    const callers = await startBusy([['EVAL', 'while true do end', '0']]);
    await p.exact('FUNCTION', 'STATS');                                        // exact: BUSY (an EVAL runs)
    await p.exact('FUNCTION', 'KILL');                                         // exact: the EVAL wording
    await p.exact('SCRIPT', 'KILL');                                           // exact: OK
    await callerReply(callers, 'killed script');
    await p.exact('FUNCTION', 'DELETE', 'busylib');                            // exact
  });
});
