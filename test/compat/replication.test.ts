import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';

/**
 * Replication's commands against redis-server 7.0, on a primary without replicas (the
 * replicas themselves are in test/integration/replication-primary.test.ts, the write
 * stream in propagation.test.ts): REPLCONF, WAIT, SYNC/PSYNC's first reply, ROLE,
 * min-replicas-to-write, INFO replication's fields.
 */
const p = pairSuite();

/** Sends a command that has no reply, then PING: both servers must answer only the PING. */
async function noReply(args: string[]): Promise<void> {
  const [r, l] = await p.connect();
  for (const c of [r, l]) {
    c.send(...args);
    c.send('PING');
  }
  expect(show(await l.readReplyBytes()), `no reply to ${args.join(' ')}`).toBe(show(await r.readReplyBytes()));
}

describe('a primary without replicas', () => {
  test('ROLE, and its COMMAND INFO and DOCS', async () => {
    await p.exact('ROLE');                                                       // exact: master, offset 0, no replicas
    await p.exact('SET', 'k', 'v');                                              // exact
    await p.exact('ROLE');                                                       // exact: still offset 0 (no backlog)
    await p.exact('ROLE', 'extra');                                              // exact: arity
    await p.exact('COMMAND', 'INFO', 'ROLE');                                    // exact
    await p.exact('COMMAND', 'DOCS', 'ROLE');                                    // exact
  });

  test('COMMAND INFO and DOCS of SYNC, PSYNC, REPLCONF, WAIT', async () => {
    for (const name of ['SYNC', 'PSYNC', 'REPLCONF', 'WAIT']) {
      await p.exact('COMMAND', 'INFO', name);                                    // exact
      await p.exact('COMMAND', 'DOCS', name);                                    // exact
    }
  });

  test('REPLCONF options and errors', async () => {
    await p.exact('REPLCONF');                                                   // exact: +OK (no option)
    await p.exact('REPLCONF', 'listening-port');                                 // exact: syntax error (odd count)
    await p.exact('REPLCONF', 'listening-port', 'abc');                          // exact: not an integer
    await p.exact('REPLCONF', 'listening-port', '6380');                         // exact
    await p.exact('REPLCONF', 'ip-address', '10.1.2.3');                         // exact
    await p.exact('REPLCONF', 'ip-address', '1'.repeat(300));                    // exact: too long
    await p.exact('REPLCONF', 'capa', 'eof', 'capa', 'psync2', 'capa', 'other'); // exact: unknown capa ignored
    await p.exact('REPLCONF', 'CAPA', 'EOF');                                    // exact
    await p.exact('REPLCONF', 'rdb-only', '1');                                  // exact
    await p.exact('REPLCONF', 'rdb-only', '2');                                  // exact: range error
    await p.exact('REPLCONF', 'rdb-only', 'x');                                  // exact
    await p.exact('REPLCONF', 'rdb-filter-only', 'functions');                   // exact
    await p.exact('REPLCONF', 'rdb-filter-only', '');                            // exact
    await p.exact('REPLCONF', 'rdb-filter-only', 'keys');                        // exact: unsupported filter
    await p.exact('REPLCONF', 'rdb-filter-only', '"unbalanced');                 // exact: missing values
    await p.exact('REPLCONF', 'nosuch', 'x');                                    // exact: unrecognized
    await p.exact('REPLCONF', 'listening-port', '1', 'nosuch', 'x');             // exact: stops at the bad one
    await noReply(['REPLCONF', 'ACK', '100']);                                   // exact: no reply from a non-replica
    await noReply(['REPLCONF', 'GETACK', '*']);                                  // exact: no reply on a primary
    await noReply(['REPLCONF', 'listening-port', '1', 'ack', 'x']);              // exact: ack ends the command silently
  });

  test('WAIT: errors, no replicas, inside MULTI', async () => {
    await p.exact('WAIT', '0', '0');                                             // exact: 0 replicas asked, 0 there
    await p.exact('WAIT', 'x', '0');                                             // exact
    await p.exact('WAIT', '1', 'x');                                             // exact: timeout not an integer
    await p.exact('WAIT', '1', '1.5');                                           // exact
    await p.exact('WAIT', '1', '-1');                                            // exact: negative
    await p.exact('WAIT', '1', '99999999999999999999');                          // exact: out of range
    await p.exact('WAIT', '1', '-0');                                            // exact: string2ll refuses -0
    await p.exact('WAIT', '1');                                                  // exact: arity
    await p.exact('SET', 'k', 'v');                                              // exact
    await p.exact('WAIT', '1', '50');                                            // exact: 0 after the timeout
    await p.exact('MULTI');                                                      // exact
    await p.exact('WAIT', '3', '0');                                             // exact: QUEUED
    await p.exact('EXEC');                                                       // exact: [0] at once
    await p.exact('EVAL', "return redis.call('wait', 1, 0)", '0');               // exact: noscript
  });

  test('SYNC and PSYNC: refused in MULTI, bad offsets; the first reply of a full resync', async () => {
    await p.exact('MULTI');                                                      // exact
    await p.exact('SYNC');                                                       // exact: not allowed in MULTI
    await p.exact('DISCARD');                                                    // exact
    await p.exact('PSYNC', '?');                                                 // exact: arity
    await p.exact('PSYNC', '?', 'notanumber');                                   // exact: not an integer
    await p.exact('PING');                                                       // exact: still a normal client
    await p.exact('SET', 'k', 'v');
    // PSYNC ? -1 (with the EOF capability): +FULLRESYNC <replid> <offset>, then the RDB.
    const [r, l] = await p.connect();
    for (const c of [r, l]) c.send('PSYNC', '?', '-1');
    const shape = (b: Buffer) => b.toString('latin1').replace(/[0-9a-f]{40}/, '<replid>').replace(/ \d+\r\n/, ' <offset>\r\n');
    const [ra, la] = [await r.readReplyBytes(), await l.readReplyBytes()];
    expect(shape(la)).toBe(shape(ra));                                           // exact but the id and offset
    expect(shape(la)).toBe('+FULLRESYNC <replid> <offset>\r\n');
  });

  test('min-replicas-to-write without replicas: NOREPLICAS for writes, reads served', async () => {
    await p.exact('SET', 'k', 'v');                                              // exact
    await p.exact('CONFIG', 'SET', 'min-replicas-to-write', '1');                // exact
    await p.exact('SET', 'k', 'w');                                              // exact: NOREPLICAS
    await p.exact('GET', 'k');                                                   // exact: v
    await p.exact('EVAL', "return redis.call('set', 'k', 'x')", '0');            // exact: NOREPLICAS inside a script
    await p.exact('MULTI');                                                      // exact
    await p.exact('SET', 'k', 'y');                                              // exact: refused at queueing
    await p.exact('EXEC');                                                       // exact: EXECABORT
    await p.exact('CONFIG', 'SET', 'min-replicas-max-lag', '0');                 // exact: 0 turns the check off
    await p.exact('SET', 'k', 'z');                                              // exact
    await p.exact('CONFIG', 'SET', 'min-replicas-max-lag', '10');
    await p.exact('CONFIG', 'SET', 'min-replicas-to-write', '0');
  });

  test('REPLICAOF and SLAVEOF on a primary: NO ONE, errors, COMMAND INFO', async () => {
    await p.exact('REPLICAOF', 'NO', 'ONE');                                    // exact: +OK, nothing to do
    await p.exact('replicaof', 'no', 'one');                                    // exact
    await p.exact('SLAVEOF', 'NO', 'ONE');                                      // exact
    await p.exact('REPLICAOF', '127.0.0.1', 'notaport');                        // exact: Invalid master port
    await p.exact('REPLICAOF', '127.0.0.1', '70000');                           // exact
    await p.exact('REPLICAOF', '127.0.0.1', '-1');                              // exact
    await p.exact('REPLICAOF', 'NO');                                           // exact: arity
    await p.exact('ROLE');                                                      // exact: still a primary
    for (const name of ['REPLICAOF', 'SLAVEOF']) {
      await p.exact('COMMAND', 'INFO', name);                                   // exact
      await p.exact('COMMAND', 'DOCS', name);                                   // exact
    }
  });

  test('a replica whose primary cannot be reached: CONFIG GET replicaof, READONLY, MASTERDOWN, INFO fields, back with NO ONE', async () => {
    await p.exact('SET', 'k', 'v');                                              // exact
    await p.exact('REPLICAOF', '127.0.0.1', '1');                                // exact: +OK (port 1 refuses)
    await p.exact('REPLICAOF', '127.0.0.1', '1');                                // exact: +OK Already connected to specified master
    await p.exact('CONFIG', 'GET', 'replicaof');                                 // exact
    await p.exact('CONFIG', 'GET', 'slaveof');                                   // exact
    await p.exact('GET', 'k');                                                   // exact: stale data served
    await p.exact('SET', 'k', 'w');                                              // exact: READONLY
    await p.exact('EVAL', "return redis.call('set', 'k', 'x')", '0');            // exact: READONLY in a script
    await p.exact('WAIT', '1', '0');                                             // exact: not on a replica
    await p.exact('CONFIG', 'SET', 'replica-serve-stale-data', 'no');            // exact
    await p.exact('GET', 'k');                                                   // exact: MASTERDOWN
    await p.exact('EVAL', '#!lua\nreturn 1', '0');                               // exact: READONLY (a shebang without no-writes writes; checked first)
    await p.exact('EVAL', '#!lua flags=no-writes\nreturn 1', '0');              // exact: MASTERDOWN, its flags lack stale (no allow-stale)
    await p.exact('EVAL', '#!lua flags=allow-stale,no-writes\nreturn 1', '0');  // exact: runs
    await p.exact('EVAL', 'return 1', '0');                                      // exact: MASTERDOWN, no shebang (scriptPrepareForRun)
    await p.exact('PING');                                                       // exact: allowed while stale? (its flags say)
    await p.exact('CONFIG', 'SET', 'replica-serve-stale-data', 'yes');           // exact
    const fields = (b: Buffer) =>
      b.toString('latin1').split('\r\n').filter((l) => l.includes(':')).map((l) => l.slice(0, l.indexOf(':')));
    const [a, b] = await p.both(['INFO', 'replication']);
    expect(fields(b)).toEqual(fields(a));                                        // as a list of names
    await p.exact('REPLICAOF', 'NO', 'ONE');                                     // exact
    await p.exact('CONFIG', 'GET', 'replicaof');                                 // exact: empty again
    await p.exact('SET', 'k', 'w');                                              // exact: writable
  });

  test('EXEC checks its queued commands against a state changed since they were queued', async () => {
    const other = await p.connect();
    await p.exact('SET', 'xx', '1');                                             // exact
    await p.exact('MULTI');                                                      // exact
    await p.exact('INCR', 'xx');                                                 // exact: QUEUED
    await p.exactOn(other, 'CONFIG', 'SET', 'min-replicas-to-write', '2');       // exact
    await p.exact('EXEC');                                                       // exact: EXECABORT ... NOREPLICAS
    await p.exactOn(other, 'CONFIG', 'SET', 'min-replicas-to-write', '0');       // exact
    await p.exact('CONFIG', 'SET', 'replica-serve-stale-data', 'no');            // exact
    await p.exact('MULTI');                                                      // exact
    await p.exact('GET', 'xx');                                                  // exact: QUEUED
    await p.exactOn(other, 'REPLICAOF', '127.0.0.1', '1');                       // exact
    await p.exact('EXEC');                                                       // exact: EXECABORT ... MASTERDOWN
    await p.exact('CONFIG', 'SET', 'replica-serve-stale-data', 'yes');           // exact
    await p.exact('MULTI');                                                      // exact
    await p.exact('GET', 'xx');                                                  // exact
    await p.exact('EXEC');                                                       // exact: served stale
    await p.exactOn(other, 'REPLICAOF', 'NO', 'ONE');                            // exact
  });

  test('a replica attached with SYNC: its CLIENT LIST flags and command, INFO connected_clients, CLIENT KILL TYPE replica', async () => {
    const replicas = await p.connect();
    for (const c of replicas) c.send('SYNC');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fieldsOf = (list: Buffer) => {
      const line = list.toString('latin1').split('\n').find((l) => l.includes('cmd=sync'));
      return line === undefined ? null : line.split(' ').filter((f) => /^(flags|db|sub|psub|multi|cmd)=/.test(f)).join(' ');
    };
    const [a, b] = await p.both(['CLIENT', 'LIST']);
    expect(fieldsOf(b)).toEqual(fieldsOf(a));                                    // the flags (S), db, cmd fields of the replica's line
    expect(fieldsOf(a)).toContain('flags=S');
    const count = (text: Buffer) => /connected_clients:(\d+)/.exec(text.toString('latin1'))![1];
    const [ia, ib] = await p.both(['INFO', 'clients']);
    expect(count(ib)).toBe(count(ia));                                           // exact: replicas are not counted as clients
    await p.exact('CLIENT', 'KILL', 'TYPE', 'replica');                          // exact: 1
    await p.exact('CLIENT', 'KILL', 'TYPE', 'slave');                            // exact: 0
  });

  test('INFO replication has the same fields', async () => {
    const fields = (b: Buffer) =>
      b
        .toString('latin1')
        .split('\r\n')
        .filter((line) => line.includes(':'))
        .map((line) => line.slice(0, line.indexOf(':')));
    const [a, b] = await p.both(['INFO', 'replication']);
    expect(fields(b)).toEqual(fields(a));                                        // as a list of names
    await p.exact('CONFIG', 'SET', 'min-replicas-to-write', '2');
    const [c, d] = await p.both(['INFO', 'replication']);
    expect(fields(d)).toEqual(fields(c));                                        // min_slaves_good_slaves appears
    expect(fields(d)).toContain('min_slaves_good_slaves');
    await p.exact('CONFIG', 'SET', 'min-replicas-to-write', '0');
  });
});
