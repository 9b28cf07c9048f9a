import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand, type Reply } from '../helpers/resp.js';

/**
 * MULTI EXEC DISCARD WATCH UNWATCH (and QUIT/RESET inside MULTI) against Redis 7.0:
 * queueing, errors while queueing, errors in place inside EXEC, and every way a watched
 * key changes, with several connections.
 */
const p = pairSuite();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Both servers get the commands in one write; all replies are compared byte for byte. */
async function pipelineExact(commands: string[][], on: [RawClient, RawClient] = [p.r, p.l]): Promise<void> {
  const batch = Buffer.concat(commands.map((c) => encodeCommand(c)));
  const replies: string[] = [];
  for (const c of on) {
    c.write(batch);
    let all = '';
    for (let i = 0; i < commands.length; i++) all += (await c.readReplyBytes()).toString('latin1');
    replies.push(all);
  }
  expect(JSON.stringify(replies[1]), `pipeline: ${commands.map((c) => c.join(' ')).join(' | ')}`).toBe(JSON.stringify(replies[0]));
}

/** CLIENT LIST / INFO fields that depend only on the client's history. */
const FIELDS = ['flags', 'db', 'multi', 'argv-mem', 'multi-mem', 'cmd', 'resp'];

function clientFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of text.trim().split(' ')) {
    const eq = f.indexOf('=');
    if (FIELDS.includes(f.slice(0, eq))) out[f.slice(0, eq)] = f.slice(eq + 1);
  }
  return out;
}

function replyText(r: Reply): string {
  if (r.type !== 'bulk' && r.type !== 'verbatim') throw new Error(`not a text reply: ${r.type}`);
  return r.value.toString('latin1');
}

/** CLIENT INFO on both: the deterministic fields are equal. */
async function sameClientInfo(on: [RawClient, RawClient] = [p.r, p.l]): Promise<Record<string, string>> {
  const [a, b] = await p.both(['CLIENT', 'INFO'], on);
  const fa = clientFields(replyText(decodeReply(a)!.reply));
  expect(clientFields(replyText(decodeReply(b)!.reply))).toEqual(fa);
  return fa;
}

/** The CLIENT LIST line of connection `ids` as seen from `on`: deterministic fields equal. */
async function sameClientListLine(ids: [string, string], on: [RawClient, RawClient]): Promise<Record<string, string>> {
  const [a, b] = await p.both(['CLIENT', 'LIST', 'ID', ...ids], on);
  // Each server is asked for both ids; only its own exists there.
  const fa = clientFields(replyText(decodeReply(a)!.reply));
  expect(clientFields(replyText(decodeReply(b)!.reply))).toEqual(fa);
  return fa;
}

async function clientIds(on: [RawClient, RawClient]): Promise<[string, string]> {
  const [a, b] = await p.both(['CLIENT', 'ID'], on);
  return [String((decodeReply(a)!.reply as { value: bigint }).value), String((decodeReply(b)!.reply as { value: bigint }).value)];
}

describe('MULTI EXEC DISCARD', () => {
  test('queued commands run in EXEC, replies of every type in place', async () => {
    await p.exact('SET', 'n', '10');                                // exact
    await p.exact('MULTI');                                         // exact: +OK
    await p.exact('SET', 'a', 'x');                                 // exact: +QUEUED
    await p.exact('INCR', 'n');                                     // exact: +QUEUED
    await p.exact('GET', 'a');                                      // exact
    await p.exact('GET', 'missing');                                // exact
    await p.exact('MGET', 'a', 'missing', 'n');                     // exact
    await p.exact('INCRBYFLOAT', 'n', '0.5');                       // exact
    await p.exact('EXISTS', 'a', 'n');                              // exact
    await p.exact('ECHO', 'bin\0\r\n\xff');                         // exact
    await p.exact('EXEC');                                          // exact: status, integer, bulk, null, array, binary
    await p.exact('GET', 'n');                                      // exact: applied
    await p.exact('EXEC');                                          // exact: EXEC without MULTI
  });

  test('empty transaction, DISCARD, and errors outside MULTI', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: *0
    await p.exact('EXEC');                                          // exact: EXEC without MULTI
    await p.exact('DISCARD');                                       // exact: DISCARD without MULTI
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'a', '1');                                 // exact: QUEUED
    await p.exact('DISCARD');                                       // exact: +OK
    await p.exact('GET', 'a');                                      // exact: nothing ran
    await p.exact('EXEC');                                          // exact: EXEC without MULTI
    await p.exact('exec');                                          // exact: lower case
    await p.exact('multi');                                         // exact
    await p.exact('discard');                                       // exact
    await p.exact('UNWATCH');                                       // exact: +OK with nothing watched
    await p.exact('WATCH');                                         // exact: arity
  });

  test('a runtime error is returned in place and the rest still runs', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'a', 'notanumber');                        // exact
    await p.exact('INCR', 'a');                                     // exact: queued, fails at run time
    await p.exact('SET', 'b', '1');                                 // exact
    await p.exact('SET', 'c', 'v', 'EX', '0');                      // exact: invalid expire time at run time
    await p.exact('SET', 'c', 'v', 'NX', 'XX');                     // exact: syntax error at run time
    await p.exact('INCRBY', 'b', '9223372036854775807');            // exact: overflow at run time
    await p.exact('SELECT', '99');                                  // exact: DB index at run time
    await p.exact('AUTH', 'nopass');                                // exact: AUTH without requirepass
    await p.exact('GET', 'b');                                      // exact
    await p.exact('EXEC');                                          // exact: errors in place
    await p.exact('GET', 'a');                                      // exact
  });

  test('WRONGTYPE at run time is returned in place', async () => {
    await p.exact('HSET', 'h', 'f', 'v');                           // exact
    await p.exact('TYPE', 'h');                                     // exact: hash on both
    await p.exact('MULTI');                                         // exact
    await p.exact('GET', 'h');                                      // exact: QUEUED
    await p.exact('SET', 'x', '1');                                 // exact
    await p.exact('APPEND', 'h', 'z');                              // exact
    await p.exact('GET', 'x');                                      // exact
    await p.exact('EXEC');                                          // exact: WRONGTYPE, OK, WRONGTYPE, "1"
  });

  test('an unknown command while queueing aborts EXEC', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('NOSUCH', 'x', 'y');                              // exact: unknown command
    await p.exact('SET', 'b', '1');                                 // exact: still QUEUED
    await p.exact('EXEC');                                          // exact: EXECABORT
    await p.exact('GET', 'a');                                      // exact: nothing ran
    await p.exact('EXEC');                                          // exact: the transaction is over
  });

  test('a wrong arity or unknown subcommand while queueing aborts EXEC', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('GET');                                           // exact: arity
    await p.exact('EXEC');                                          // exact: EXECABORT
    await p.exact('MULTI');                                         // exact
    await p.exact('CLIENT', 'nosuch');                              // exact: unknown subcommand
    await p.exact('EXEC');                                          // exact: EXECABORT
    await p.exact('MULTI');                                         // exact
    await p.exact('CONFIG', 'GET');                                 // exact: subcommand arity
    await p.exact('EXEC');                                          // exact: EXECABORT
    await p.exact('MULTI');                                         // exact
    await p.exact('DISCARD', 'x');                                  // exact: arity error, flags the transaction
    await p.exact('EXEC');                                          // exact: EXECABORT
    await p.exact('MULTI');                                         // exact
    await p.exact('MULTI', 'x');                                    // exact: arity error, flags it too
    await p.exact('EXEC');                                          // exact: EXECABORT
  });

  test('nested MULTI and WATCH inside MULTI are refused without aborting', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('MULTI');                                         // exact: MULTI calls can not be nested
    await p.exact('WATCH', 'a');                                    // exact: WATCH inside MULTI is not allowed
    await p.exact('INCR', 'a');                                     // exact
    await p.exact('EXEC');                                          // exact: runs
    await p.exact('GET', 'a');                                      // exact
  });

  test('EXEC refused before it runs ends the transaction with EXECABORT and the reason', async () => {
    await p.exact('EXEC', 'x');                                     // exact: outside MULTI too
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('EXEC', 'x');                                     // exact: because of: wrong number of arguments
    await p.exact('EXEC');                                          // exact: EXEC without MULTI
    await p.exact('GET', 'a');                                      // exact: nothing ran
  });

  test('no_multi commands are refused inside MULTI and abort it', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('SHUTDOWN', 'NOSAVE');                            // exact: Command not allowed inside a transaction
    await p.exact('shutdown');                                      // exact
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('EXEC');                                          // exact: EXECABORT
    await p.exact('GET', 'a');                                      // exact
  });

  test('transaction state commands queued inside MULTI', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('UNWATCH');                                       // exact: queued
    await p.exact('PING');                                          // exact
    await p.exact('SELECT', '3');                                   // exact
    await p.exact('SET', 'a', 'in3');                               // exact
    await p.exact('EXEC');                                          // exact
    await p.exact('GET', 'a');                                      // exact: the client is in db 3 now
    await p.exact('SELECT', '0');                                   // exact
    await p.exact('GET', 'a');                                      // exact: nil
  });

  test('QUIT inside MULTI answers OK and closes; nothing queued runs', async () => {
    const other = await p.connect();
    await p.exactOn(other, 'MULTI');                                // exact
    await p.exactOn(other, 'SET', 'q', '1');                        // exact
    await p.exactOn(other, 'QUIT');                                 // exact: +OK
    await other[0].waitClosed();
    await other[1].waitClosed();
    await p.exact('GET', 'q');                                      // exact: nil
  });

  test('RESET inside MULTI discards the transaction and the watches', async () => {
    await p.exact('WATCH', 'w');                                    // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('RESET');                                         // exact: +RESET
    await p.exact('EXEC');                                          // exact: EXEC without MULTI
    await p.exact('GET', 'a');                                      // exact: nil
    const other = await p.connect();
    await p.exactOn(other, 'SET', 'w', 'changed');                  // exact: w is no longer watched
    await p.exact('MULTI');                                         // exact
    await p.exact('PING');                                          // exact
    await p.exact('EXEC');                                          // exact: runs
    await p.exact('RESET', 'x');                                    // exact: arity
  });

  test('RESET restores a new connection state', async () => {
    await p.exact('SELECT', '5');                                   // exact
    await p.exact('CLIENT', 'SETNAME', 'named');                    // exact
    await p.both(['HELLO', '3']);                                   // (ids differ)
    await p.exact('GET', 'missing');                                // exact: RESP3 null
    await p.exact('RESET');                                         // exact
    await p.exact('GET', 'missing');                                // exact: RESP2 null
    await p.exact('CLIENT', 'GETNAME');                             // exact: nil
    await sameClientInfo();                                         // fields: db=0 resp=2 flags=N
    await p.exact('WATCH', 'k');                                    // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('RESET');                                         // exact
    await sameClientInfo();                                         // fields: multi=-1, flags=N
  });

  test('EXEC replies in RESP3', async () => {
    await p.both(['HELLO', '3']);                                   // (ids differ)
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('GET', 'a');                                      // exact
    await p.exact('GET', 'missing');                                // exact
    await p.exact('INCRBYFLOAT', 'a', '1.5');                       // exact
    await p.exact('INCR', 'a');                                     // exact
    await p.exact('CONFIG', 'GET', 'databases');                    // exact
    await p.exact('EXEC');                                          // exact: bulk, _, bulk, error, map
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: *0
    await p.exact('MULTI');                                         // exact
    await p.exact('FOO');                                           // exact
    await p.exact('EXEC');                                          // exact: EXECABORT
  });

  test('HELLO inside EXEC changes the protocol of the following replies', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('GET', 'missing');                                // exact
    await p.exact('HELLO', '3');                                    // exact: queued
    await p.exact('GET', 'missing');                                // exact
    const [a, b] = await p.both(['EXEC']);
    const ra = decodeReply(a)!.reply as { value: Reply[] };
    const rb = decodeReply(b)!.reply as { value: Reply[] };
    expect(rb.value.map((r) => r.type)).toEqual(ra.value.map((r) => r.type)); // types: nullbulk, map, null
    expect(show(a.subarray(a.length - 3))).toBe(show(b.subarray(b.length - 3))); // exact: trailing _
  });

  test('a pipelined transaction gets its replies in one batch', async () => {
    await pipelineExact([
      ['MULTI'], ['SET', 'p', '1'], ['INCR', 'p'], ['GET', 'p'], ['EXEC'], ['GET', 'p'],
    ]);                                                             // exact
    await pipelineExact([['MULTI'], ['INCR', 'p'], ['BAD'], ['INCR', 'p'], ['EXEC'], ['GET', 'p']]); // exact
    await pipelineExact([['MULTI'], ['MULTI'], ['EXEC'], ['EXEC'], ['DISCARD']]); // exact
  });

  test('CLIENT LIST shows the transaction: flags x and d, multi=, multi-mem=, cmd=', async () => {
    const other = await p.connect();
    const ids = await clientIds([p.r, p.l]);
    await sameClientListLine(ids, other);                           // fields: flags=N multi=-1
    await p.exact('MULTI');                                         // exact
    await sameClientListLine(ids, other);                           // fields: flags=x multi=0 cmd=multi
    await p.exact('SET', 'a', '12345');                             // exact
    await p.exact('GET', 'a');                                      // exact
    await sameClientListLine(ids, other);                           // fields: multi=2 multi-mem=53 cmd=get
    await p.exact('NOSUCH');                                        // exact
    await sameClientListLine(ids, other);                           // fields: cmd=NULL
    await p.exact('GET', 'b');                                      // exact: not stored once aborted
    await sameClientListLine(ids, other);                           // fields: multi=2
    await p.exact('DISCARD');                                       // exact
    await sameClientListLine(ids, other);                           // fields: flags=N multi=-1 multi-mem=0
    await p.exact('WATCH', 'w');                                    // exact
    await p.exactOn(other, 'SET', 'w', '1');                        // exact
    await sameClientListLine(ids, other);                           // fields: flags=d
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'x', 'y');                                 // exact: not stored, EXEC will fail
    await sameClientListLine(ids, other);                           // fields: flags=xd multi=0
    await p.exact('EXEC');                                          // exact: null
    await sameClientListLine(ids, other);                           // fields: flags=N cmd=exec
  });

  test('CLIENT INFO inside EXEC: flags x, multi= all queued, argv-mem of EXEC, cmd=exec', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('CLIENT', 'INFO');                                // exact
    await p.exact('CLIENT', 'LIST', 'TYPE', 'normal');              // exact
    const [a, b] = await p.both(['EXEC']);
    const ra = decodeReply(a)!.reply as { value: Reply[] };
    const rb = decodeReply(b)!.reply as { value: Reply[] };
    expect(clientFields(replyText(rb.value[1]!))).toEqual(clientFields(replyText(ra.value[1]!))); // fields
    expect(clientFields(replyText(rb.value[2]!))).toEqual(clientFields(replyText(ra.value[2]!))); // fields
    await sameClientInfo();                                         // fields: after EXEC
  });

  test('INFO counts the commands run inside EXEC and the errors', async () => {
    await p.exact('CONFIG', 'RESETSTAT');                           // exact
    await p.exact('SET', 's', 'x');                                 // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('INCR', 's');                                     // exact
    await p.exact('FOO');                                           // exact
    await p.exact('EXEC');                                          // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('INCR', 's');                                     // exact
    await p.exact('GET', 's');                                      // exact
    await p.exact('EXEC');                                          // exact
    await p.exact('EXEC', 'x');                                     // exact
    const [a, b] = await p.both(['INFO', 'stats']);
    const pick = (raw: Buffer) =>
      replyText(decodeReply(raw)!.reply).split('\r\n').filter((l) => /^total_(commands_processed|error_replies):/.test(l));
    expect(pick(b)).toEqual(pick(a));                               // fields: totals
    await p.exact('INFO', 'errorstats');                            // exact: ERR and EXECABORT counts
  });
});

describe('WATCH', () => {
  test('a key changed by another client fails EXEC with a null array', async () => {
    const other = await p.connect();
    await p.exact('SET', 'k', '1');                                 // exact
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SET', 'k', '2');                        // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'k', '3');                                 // exact
    await p.exact('EXEC');                                          // exact: *-1
    await p.exact('GET', 'k');                                      // exact: 2
    await p.exact('MULTI');                                         // exact
    await p.exact('PING');                                          // exact
    await p.exact('EXEC');                                          // exact: no longer watched
  });

  test('an unchanged watched key lets EXEC run; EXEC, DISCARD and UNWATCH unwatch', async () => {
    const other = await p.connect();
    await p.exact('WATCH', 'k', 'k', 'j');                          // exact: duplicates are one watch
    await p.exactOn(other, 'GET', 'k');                             // exact: reads are no change
    await p.exactOn(other, 'DEL', 'k');                             // exact: deleting a missing key is none
    await p.exactOn(other, 'SET', 'unrelated', '1');                // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('SET', 'k', 'mine');                              // exact: own queued change is fine
    await p.exact('EXEC');                                          // exact: runs
    await p.exactOn(other, 'SET', 'k', 'theirs');                   // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: EXEC unwatched
    await p.exact('WATCH', 'k');                                    // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('DISCARD');                                       // exact
    await p.exactOn(other, 'SET', 'k', 'again');                    // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: DISCARD unwatched
    await p.exact('WATCH', 'k');                                    // exact
    await p.exact('UNWATCH');                                       // exact
    await p.exactOn(other, 'SET', 'k', 'once more');                // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: UNWATCH unwatched
  });

  test('a missing watched key created, and one of several keys changed', async () => {
    const other = await p.connect();
    await p.exact('WATCH', 'a', 'b', 'c');                          // exact
    await p.exactOn(other, 'SET', 'b', 'new');                      // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
  });

  test('the same client changing its watched key also fails EXEC', async () => {
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('WATCH', 'k');                                    // exact
    await p.exact('SET', 'k', 'v');                                 // exact: same value still counts
    await p.exact('MULTI');                                         // exact
    await p.exact('GET', 'k');                                      // exact
    await p.exact('EXEC');                                          // exact: null
    await p.exact('WATCH', 'k');                                    // exact
    await p.exact('GET', 'k');                                      // exact: a read is no change
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: runs
  });

  test('a dirty client: UNWATCH clears it, WATCH keeps it dirty', async () => {
    const other = await p.connect();
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SET', 'k', '1');                        // exact
    await p.exact('WATCH', 'other');                                // exact: still dirty
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: clean again after EXEC
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SET', 'k', '2');                        // exact
    await p.exact('UNWATCH');                                       // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('PING');                                          // exact
    await p.exact('EXEC');                                          // exact: runs
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SET', 'k', '3');                        // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('BAD');                                           // exact
    await p.exact('EXEC');                                          // exact: EXECABORT wins over the null array
  });

  test('which writes count as a change', async () => {
    const other = await p.connect();
    const check = async (setup: string[][], change: string[]) => {
      for (const s of setup) await p.exactOn(other, ...s);          // exact
      await p.exact('WATCH', 'k');                                  // exact
      await p.exactOn(other, ...change);                            // exact
      await p.exact('MULTI');                                       // exact
      await p.exact('EXEC');                                        // exact: *-1 if changed, *0 if not
      await p.exactOn(other, 'DEL', 'k', 'k2');                     // exact
    };
    await check([['SET', 'k', 'v']], ['SET', 'k', 'w', 'NX']);      // failed NX: no change
    await check([], ['SET', 'k', 'w', 'XX']);                       // failed XX: no change
    await check([['SET', 'k', 'v']], ['SET', 'k', 'v', 'XX']);      // change
    await check([['SET', 'k', 'v']], ['APPEND', 'k', '']);          // empty APPEND
    await check([['SET', 'k', 'v']], ['SETRANGE', 'k', '0', '']);   // empty SETRANGE
    await check([['SET', 'k', '1']], ['INCRBY', 'k', '0']);         // INCRBY 0
    await check([['SET', 'k', 'v']], ['GETDEL', 'k']);              // delete
    await check([['SET', 'k', 'v']], ['GETEX', 'k']);               // GETEX without option: none
    await check([['SET', 'k', 'v']], ['GETEX', 'k', 'EX', '100']);  // TTL set
    await check([['SET', 'k', 'v', 'EX', '100']], ['GETEX', 'k', 'PERSIST']); // TTL removed
    await check([['SET', 'k', 'v']], ['GETEX', 'k', 'PERSIST']);    // PERSIST without TTL
    await check([['SET', 'k', 'v']], ['EXPIRE', 'k', '100']);       // TTL change
    await check([['SET', 'k', 'v']], ['EXPIRE', 'k', '100', 'XX']); // failed XX: none
    await check([['SET', 'k', 'v', 'EX', '50']], ['EXPIRE', 'k', '100', 'LT']); // failed LT: none
    await check([['SET', 'k', 'v']], ['PEXPIRE', 'k', '-1']);       // past: deleted
    await check([['SET', 'k', 'v', 'EX', '100']], ['PERSIST', 'k']); // TTL removed
    await check([['SET', 'k', 'v']], ['PERSIST', 'k']);             // no TTL: none
    await check([['SET', 'k', 'v']], ['RENAME', 'k', 'k2']);        // renamed away
    await check([['SET', 'k2', 'v']], ['RENAME', 'k2', 'k']);       // renamed onto
    await check([['SET', 'k', 'v']], ['RENAME', 'k', 'k']);         // onto itself: none
    await check([['SET', 'k', 'v'], ['SET', 'k2', 'v']], ['RENAMENX', 'k2', 'k']); // failed: none
    await check([['SET', 'k', 'v']], ['MSETNX', 'k', 'x', 'k2', 'y']); // failed MSETNX: none
    await check([], ['MSET', 'k2', 'x', 'k', 'y']);                 // MSET
    await check([['SET', 'k', 'v']], ['UNLINK', 'k']);              // UNLINK
    await check([['SET', 'k', 'v']], ['SETEX', 'k', '100', 'v']);   // SETEX
    await check([['SET', 'k', '1.5']], ['INCRBYFLOAT', 'k', '0']);  // INCRBYFLOAT 0
  });

  test('a key expiring after WATCH fails EXEC', async () => {
    await p.exact('SET', 'k', 'v', 'PX', '150');                    // exact
    await p.exact('WATCH', 'k');                                    // exact
    await sleep(250);
    await p.exact('MULTI');                                         // exact
    await p.exact('PING');                                          // exact
    await p.exact('EXEC');                                          // exact: null (expired, removed or not yet)
    await p.exact('SET', 'k', 'v', 'PX', '150');                    // exact
    await p.exact('WATCH', 'k');                                    // exact
    await sleep(250);
    await p.exact('GET', 'k');                                      // exact: nil, removed now
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
  });

  test('EXPIRE or PEXPIRE with a short TTL on a watched key fails EXEC', async () => {
    const other = await p.connect();
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'PEXPIRE', 'k', '50');                   // exact: the TTL change itself
    await sleep(100);
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'EXPIRE', 'k', '1');                     // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null before it even expires
  });

  test('a key already expired when watched: its removal is no change', async () => {
    const other = await p.connect();
    await p.exact('SET', 'k', 'v', 'PX', '10');                     // exact
    await sleep(40);
    await p.exact('WATCH', 'k');                                    // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('PING');                                          // exact
    await p.exact('EXEC');                                          // exact: runs
    await p.exact('SET', 'k', 'v', 'PX', '10');                     // exact
    await sleep(40);
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'GET', 'k');                             // exact: nil, removes it
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: runs
    await p.exact('SET', 'k', 'v', 'PX', '10');                     // exact
    await sleep(40);
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SET', 'k', 'back');                     // exact: stored again is a change
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
  });

  test('FLUSHALL and FLUSHDB touch only watched keys that existed', async () => {
    const other = await p.connect();
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'FLUSHALL');                             // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null, k existed
    await p.exact('SET', 'other', 'v');                             // exact
    await p.exact('WATCH', 'missing');                              // exact
    await p.exactOn(other, 'FLUSHALL');                             // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: runs, missing never existed
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SELECT', '1');                          // exact
    await p.exactOn(other, 'SET', 'x', 'y');                        // exact
    await p.exactOn(other, 'FLUSHDB');                              // exact: another database
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: runs
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SELECT', '0');                          // exact
    await p.exactOn(other, 'FLUSHDB', 'ASYNC');                     // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
    await p.exact('SET', 'k', 'v', 'PX', '10');                     // exact
    await sleep(40);
    await p.exact('WATCH', 'k');                                    // exact: already expired
    await p.exactOn(other, 'FLUSHALL');                             // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: runs
  });

  test('watches are per database', async () => {
    const other = await p.connect();
    await p.exact('WATCH', 'k');                                    // exact: in db 0
    await p.exact('SELECT', '1');                                   // exact
    await p.exact('SET', 'k', 'in db 1');                           // exact: same name, other db
    await p.exactOn(other, 'SELECT', '1');                          // exact
    await p.exactOn(other, 'DEL', 'k');                             // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: runs
    await p.exact('WATCH', 'k');                                    // exact: now in db 1
    await p.exact('SELECT', '0');                                   // exact
    await p.exactOn(other, 'SET', 'k', 'changed in db 1');          // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
    await p.exact('WATCH', 'k');                                    // exact: db 0
    await p.exact('SELECT', '1');                                   // exact
    await p.exact('WATCH', 'k');                                    // exact: and db 1
    await p.exactOn(other, 'SELECT', '0');                          // exact
    await p.exactOn(other, 'SET', 'k', 'changed in db 0');          // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
  });

  test("another client's transaction changes a watched key; binary key names", async () => {
    const other = await p.connect();
    const key = 'k\0\r\n\xff';
    await p.exact('WATCH', key);                                    // exact
    await p.exactOn(other, 'MULTI');                                // exact
    await p.exactOn(other, 'SET', key, '1');                        // exact
    await p.exact('MULTI');                                         // exact: not yet changed
    await p.exact('GET', key);                                      // exact
    await p.exactOn(other, 'EXEC');                                 // exact
    await p.exact('EXEC');                                          // exact: null
    await p.exact('WATCH', key);                                    // exact
    await p.exactOn(other, 'MULTI');                                // exact
    await p.exactOn(other, 'SET', key, '2');                        // exact
    await p.exactOn(other, 'DISCARD');                              // exact: discarded, no change
    await p.exact('MULTI');                                         // exact
    await p.exact('GET', key);                                      // exact
    await p.exact('EXEC');                                          // exact: runs
  });

  test('two watchers of one key both fail; a closed client releases its watches', async () => {
    const b = await p.connect();
    const c = await p.connect();
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(b, 'WATCH', 'k');                               // exact
    await p.exactOn(c, 'WATCH', 'k');                               // exact
    c[0].close();
    c[1].close();
    await sleep(20);
    await p.exact('SET', 'k', '1');                                 // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('EXEC');                                          // exact: null
    await p.exactOn(b, 'MULTI');                                    // exact
    await p.exactOn(b, 'EXEC');                                     // exact: null
    expect(p.lapse.watches.size).toBe(0);                           // lapse: nothing left watched
  });

  test('the null array in RESP3', async () => {
    const other = await p.connect();
    await p.both(['HELLO', '3']);                                   // (ids differ)
    await p.exact('WATCH', 'k');                                    // exact
    await p.exactOn(other, 'SET', 'k', 'v');                        // exact
    await p.exact('MULTI');                                         // exact
    await p.exact('GET', 'k');                                      // exact
    await p.exact('EXEC');                                          // exact: _
  });
});

describe('with requirepass', () => {
  const q = pairSuite({ lapse: { requirepass: 'pw' }, redis: ['--requirepass', 'pw'], reset: false });

  test('EXEC refused for authentication; AUTH queued; RESET logs out', async () => {
    await q.exact('EXEC');                                          // exact: EXECABORT because of NOAUTH
    await q.exact('EXEC', 'x');                                     // exact: arity comes first
    await q.exact('MULTI');                                         // exact: NOAUTH
    await q.exact('DISCARD');                                       // exact: NOAUTH
    await q.exact('WATCH', 'k');                                    // exact: NOAUTH
    await q.exact('RESET');                                         // exact: allowed before AUTH
    await q.exact('AUTH', 'pw');                                    // exact
    await q.exact('MULTI');                                         // exact
    await q.exact('AUTH', 'wrong');                                 // exact: queued
    await q.exact('AUTH', 'pw');                                    // exact: queued
    await q.exact('PING');                                          // exact
    await q.exact('EXEC');                                          // exact: WRONGPASS in place, then OK, PONG
    await q.exact('RESET');                                         // exact
    await q.exact('GET', 'k');                                      // exact: NOAUTH again
    await q.exact('AUTH', 'pw');                                    // exact
    await q.exact('GET', 'k');                                      // exact
  });
});

describe('BGSAVE inside EXEC', () => {
  test('is scheduled, not started (Redis server.in_exec)', async () => {
    await p.exact('MULTI');                                          // exact
    await p.exact('SET', 'k', 'v');                                  // exact: QUEUED
    await p.exact('BGSAVE');                                         // exact: QUEUED
    await p.exact('EXEC');                                           // exact: +OK, +Background saving scheduled
    // Let both scheduled saves run before the next test flushes.
    for (let i = 0; i < 100; i++) {
      const [r, l] = await p.both(['INFO', 'persistence']);
      const done = (b: Buffer) => b.toString('latin1').includes('rdb_bgsave_in_progress:0');
      if (done(r) && done(l) && !r.toString().includes('rdb_last_bgsave_status:unknown')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
