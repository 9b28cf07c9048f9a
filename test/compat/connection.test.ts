import { describe, expect, test } from 'vitest';
import { Pair, pairSuite, show } from './harness.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';
import { texts } from '../helpers/reply-parts.js';

/**
 * Connection commands: PING ECHO QUIT SELECT HELLO AUTH CLIENT, against Redis 7.0.
 * Client IDs differ between the two servers, so replies that carry one (HELLO) are
 * compared exactly except for the ID's digits, and CLIENT LIST/INFO lines field by field.
 */

const p = pairSuite();
/** A pair of servers with a password: requirepass "se cret" (a space is allowed). */
const secured = pairSuite({ lapse: { requirepass: 'se cret' }, redis: ['--requirepass', 'se cret'], reset: false });

const ID = /(\$2\r\nid\r\n:)\d+\r\n/;

/** A reply shown with the client ID of a HELLO reply replaced by <id>. */
function maskId(x: Buffer): string {
  return JSON.stringify(x.toString('latin1').replace(ID, '$1<id>\r\n'));
}

/** Both replies, exactly the same once the client ID in a HELLO reply is masked. */
async function exactExceptId(pair: Pair, on: [RawClient, RawClient], ...args: string[]): Promise<string> {
  const [a, b] = await pair.both(args, on);
  expect(maskId(b), `exact but id: ${args.join(' ')}`).toBe(maskId(a));
  return a.toString('latin1');
}

/** A CLIENT LIST / CLIENT INFO line as its fields, in order. */
function fields(line: string): [string, string][] {
  return line.split(' ').map((f) => {
    const eq = f.indexOf('=');
    return [f.slice(0, eq), f.slice(eq + 1)];
  });
}

/** The text of a CLIENT LIST / INFO reply (bulk in RESP2, verbatim in RESP3). */
function listText(raw: Buffer): string {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'bulk' && r.type !== 'verbatim') throw new Error(`not a text reply: ${show(raw)}`);
  return r.value.toString('latin1');
}

/** Fields whose values are the same on both servers for the same client history. */
const DETERMINISTIC = ['name', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'argv-mem', 'multi-mem', 'events', 'cmd', 'user', 'redir', 'resp'];

/**
 * Lapse's line has Redis 7.0's fields in Redis's order, then lib-name and lib-ver
 * (Redis 7.2); deterministic values are equal.
 */
function compareLines(redisLine: string, lapseLine: string): void {
  const r = fields(redisLine);
  const l = fields(lapseLine);
  expect(l.map(([k]) => k)).toEqual([...r.map(([k]) => k), 'lib-name', 'lib-ver']);
  const rv = new Map(r);
  const lv = new Map(l);
  for (const k of DETERMINISTIC) expect(lv.get(k), `field ${k}`).toBe(rv.get(k));
}

/** The integer of an integer reply, as text. */
function integerText(raw: Buffer): string {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'integer') throw new Error(`not an integer: ${show(raw)}`);
  return r.value.toString();
}

/** CLIENT ID of a pair of connections: [Redis's, lapse's]. */
async function clientIds(on: [RawClient, RawClient]): Promise<[string, string]> {
  const [a, b] = await p.both(['CLIENT', 'ID'], on);
  return [integerText(a), integerText(b)];
}

describe('PING ECHO QUIT SELECT', () => {
  test('PING and ECHO', async () => {
    await p.exact('PING');                                          // exact
    await p.exact('ping', '');                                      // exact: empty message
    await p.exact('PING', 'a\0b\r\n\xff');                          // exact: binary
    await p.exact('PING', 'a', 'b');                                // exact: arity
    await p.exact('ECHO', '');                                      // exact
    await p.exact('ECHO', 'x'.repeat(70000));                       // exact: large
    await p.exact('ECHO');                                          // exact: arity
    await p.exact('ECHO', 'a', 'b');                                // exact: arity
  });

  test('SELECT', async () => {
    await p.exact('SELECT', '0');                                   // exact
    await p.exact('SELECT', '15');                                  // exact
    await p.exact('SELECT', '16');                                  // exact: out of range
    await p.exact('SELECT', '-0');                                  // exact: not an integer
    await p.exact('SELECT', '2147483648');                          // exact: beyond int
    await p.exact('SELECT', '-2147483649');                         // exact
    await p.exact('SELECT', '9223372036854775808');                 // exact: beyond int64
    await p.exact('SELECT', ' 1');                                  // exact
    await p.exact('SELECT', '1', '2');                              // exact: arity
  });

  test('QUIT answers OK and closes; extra arguments are accepted', async () => {
    const [r, l] = await p.connect();
    await p.exactOn([r, l], 'QUIT', 'extra');                       // exact
    await r.waitClosed();
    await l.waitClosed();
    const [r2, l2] = await p.connect();
    r2.write('*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n');
    l2.write('*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n');
    await r2.waitClosed();
    await l2.waitClosed();
    expect(show(l2.pending())).toBe(show(r2.pending()));            // exact: nothing after QUIT's reply
  });
});

describe('HELLO', () => {
  test('replies in RESP2 and RESP3 and switches the protocol', async () => {
    await exactExceptId(p, [p.r, p.l], 'HELLO');                    // exact but id: RESP2 map as array
    await exactExceptId(p, [p.r, p.l], 'HELLO', '2');               // exact but id
    await p.exact('GET', 'missing');                                // exact: $-1
    await exactExceptId(p, [p.r, p.l], 'HELLO', '3');               // exact but id: RESP3 map
    await p.exact('GET', 'missing');                                // exact: _
    await exactExceptId(p, [p.r, p.l], 'hello');                    // exact but id: stays RESP3
    await exactExceptId(p, [p.r, p.l], 'HELLO', '2');               // exact but id: back to RESP2
    await p.exact('GET', 'missing');                                // exact: $-1 again
  });

  test('the protocol changes between two pipelined commands', async () => {
    const [r, l] = await p.connect();
    const batch = '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n';
    r.write(batch);
    l.write(batch);
    expect(maskId(await l.readReplyBytes())).toBe(maskId(await r.readReplyBytes())); // exact but id
    expect(show(await l.readReplyBytes())).toBe(show(await r.readReplyBytes())); // exact: _
  });

  test('the ID in HELLO is the one CLIENT ID reports', async () => {
    const hello = decodeReply(await p.l.call('HELLO', '3'))!.reply;
    const id = decodeReply(await p.l.call('CLIENT', 'ID'))!.reply;
    expect(hello.type).toBe('map');
    const pairs = (hello as { value: [{ value: Buffer }, unknown][] }).value;
    expect(pairs.find(([k]) => k.value.toString() === 'id')![1]).toEqual(id);
  });

  test('protocol version errors', async () => {
    await p.exact('HELLO', '1');                                    // exact: NOPROTO
    await p.exact('HELLO', '4');                                    // exact
    await p.exact('HELLO', '-1');                                   // exact
    await p.exact('HELLO', '0');                                    // exact
    await p.exact('HELLO', '9223372036854775807');                  // exact
    await p.exact('HELLO', 'x');                                    // exact: not an integer
    await p.exact('HELLO', '03');                                   // exact
    await p.exact('HELLO', '3 ');                                   // exact
    await p.exact('HELLO', '');                                     // exact
    await p.exact('HELLO', '1.5');                                  // exact
    await p.exact('HELLO', '99999999999999999999');                 // exact
    await p.exact('HELLO', '3', 'SETNAME', 'a', 'foo');             // exact: NOPROTO not, syntax error
    await p.exact('CLIENT', 'GETNAME');                             // exact: SETNAME took effect first
  });

  test('options', async () => {
    await p.exact('HELLO', '2', 'foo');                             // exact: syntax error
    await p.exact('HELLO', '2', 'SETNAME');                         // exact: option without value
    await p.exact('HELLO', '2', 'AUTH', 'default');                 // exact
    await p.exact('HELLO', '2', 'auth\0x', 'default', 'x', 'setname'); // exact: AUTH at NUL, then error
    await p.exact('HELLO', '2', 'SETNAME', 'a b');                  // exact: invalid name
    await p.exact('HELLO', '2', 'SETNAME', 'a\nb');                 // exact
    await p.exact('HELLO', '2', 'SETNAME', '\xff');                 // exact
    await p.exact('CLIENT', 'GETNAME');                             // exact: unchanged
    await exactExceptId(p, [p.r, p.l], 'HELLO', '2', 'setname', 'n1', 'SetName', 'n2'); // exact but id
    await p.exact('CLIENT', 'GETNAME');                             // exact: n2
    await exactExceptId(p, [p.r, p.l], 'HELLO', '2', 'SETNAME', ''); // exact but id: clears the name
    await p.exact('CLIENT', 'GETNAME');                             // exact: null
    // No password configured: the default user takes any password; no other user exists.
    await exactExceptId(p, [p.r, p.l], 'HELLO', '3', 'AUTH', 'default', 'whatever'); // exact but id
    await p.exact('HELLO', '2', 'AUTH', 'nobody', 'x');            // exact: WRONGPASS, stays RESP3
    await p.exact('GET', 'missing');                                // exact: _
    await p.exact('HELLO', '2', 'AUTH', 'DEFAULT', 'x');           // exact: user names are case-sensitive
  });
});

describe('AUTH without a password configured', () => {
  test('errors', async () => {
    await p.exact('AUTH', 'x');                                     // exact: no password configured
    await p.exact('AUTH', '');                                      // exact
    await p.exact('AUTH', 'default', 'x');                          // exact: OK, nopass user
    await p.exact('AUTH', 'default', '');                           // exact
    await p.exact('AUTH', 'other', 'x');                            // exact: WRONGPASS
    await p.exact('AUTH', 'a', 'b', 'c');                           // exact: syntax error
    await p.exact('AUTH');                                          // exact: arity
  });
});

describe('AUTH with requirepass', () => {
  test('unauthenticated clients get NOAUTH except for no_auth commands', async () => {
    const on = await secured.connect();
    await secured.exactOn(on, 'PING');                              // exact: NOAUTH
    await secured.exactOn(on, 'GET', 'k');                          // exact
    await secured.exactOn(on, 'CLIENT', 'ID');                      // exact
    await secured.exactOn(on, 'CONFIG', 'GET', 'requirepass');      // exact
    await secured.exactOn(on, 'NOSUCH');                            // exact: unknown comes first
    await secured.exactOn(on, 'GET');                               // exact: arity comes first
    await secured.exactOn(on, 'CLIENT', 'nosuch');                  // exact
    await secured.exactOn(on, 'HELLO', '3');                        // exact: HELLO's own NOAUTH
    await secured.exactOn(on, 'HELLO');                             // exact
    await secured.exactOn(on, 'HELLO', '3', 'SETNAME', 'early');    // exact: name set, then NOAUTH
    await secured.exactOn(on, 'HELLO', '3', 'AUTH', 'default', 'wrong'); // exact: WRONGPASS
    await secured.exactOn(on, 'AUTH', 'wrong');                     // exact: WRONGPASS
    await secured.exactOn(on, 'AUTH', 'se');                        // exact: a prefix is wrong
    await secured.exactOn(on, 'AUTH', 'se cret ');                  // exact
    await secured.exactOn(on, 'AUTH', 'default', 'wrong');          // exact
    await secured.exactOn(on, 'AUTH', 'Default', 'se cret');        // exact: no such user
    await secured.exactOn(on, 'AUTH', 'default');                   // exact: the password "default"
    await secured.exactOn(on, 'AUTH', 'a', 'b', 'c');               // exact: syntax error
    await secured.exactOn(on, 'PING');                              // exact: still NOAUTH
    await secured.exactOn(on, 'AUTH', 'se cret');                   // exact: OK
    await secured.exactOn(on, 'PING');                              // exact: PONG
    await secured.exactOn(on, 'CLIENT', 'GETNAME');                 // exact: "early"
    await secured.exactOn(on, 'AUTH', 'wrong');                     // exact: WRONGPASS, still authenticated
    await secured.exactOn(on, 'PING');                              // exact: PONG
    await secured.exactOn(on, 'QUIT');                              // exact
  });

  test('AUTH with a username, HELLO AUTH, and partial HELLO effects', async () => {
    const on = await secured.connect();
    await secured.exactOn(on, 'AUTH', 'default', 'se cret');        // exact: OK
    await secured.exactOn(on, 'PING');                              // exact
    const on2 = await secured.connect();
    await exactExceptId(secured, on2, 'HELLO', '3', 'AUTH', 'default', 'se cret', 'SETNAME', 'n'); // exact but id
    await secured.exactOn(on2, 'CLIENT', 'GETNAME');                // exact: RESP3 bulk
    const on3 = await secured.connect();
    await secured.exactOn(on3, 'HELLO', '2', 'AUTH', 'default', 'se cret', 'AUTH', 'default', 'x'); // exact: WRONGPASS
    await secured.exactOn(on3, 'PING');                             // exact: PONG, the first AUTH held
    const on4 = await secured.connect();
    await secured.exactOn(on4, 'HELLO', 'x', 'AUTH', 'default', 'se cret'); // exact: version error first
    await secured.exactOn(on4, 'PING');                             // exact: NOAUTH
    await secured.exactOn(on4, 'HELLO', '2', 'AUTH', 'default');    // exact: syntax error
  });

  test('QUIT works before authenticating', async () => {
    const on = await secured.connect();
    await secured.exactOn(on, 'QUIT');                              // exact: OK
    await on[0].waitClosed();
    await on[1].waitClosed();
  });

  test("unauthenticated clients get Redis's smaller protocol limits", async () => {
    const [r, l] = await secured.connect();
    const big = '*1\r\n$4\r\nPING\r\n*11\r\n';
    r.write(big);
    l.write(big);
    await r.waitClosed();
    await l.waitClosed();
    expect(show(l.pending())).toBe(show(r.pending()));              // exact: NOAUTH, then protocol error
    const [r2, l2] = await secured.connect();
    r2.write('*2\r\n$20000\r\n');
    l2.write('*2\r\n$20000\r\n');
    await r2.waitClosed();
    await l2.waitClosed();
    expect(show(l2.pending())).toBe(show(r2.pending()));            // exact: bulk length limit
  });

  test('changing requirepass: connected clients keep their state', async () => {
    const admin = await secured.connect();
    await secured.exactOn(admin, 'AUTH', 'se cret');                // exact
    const waiting = await secured.connect();
    await secured.exactOn(waiting, 'PING');                         // exact: NOAUTH
    try {
      await secured.exactOn(admin, 'CONFIG', 'SET', 'requirepass', 'other'); // exact
      await secured.exactOn(admin, 'PING');                         // exact: still authenticated
      await secured.exactOn(waiting, 'AUTH', 'se cret');            // exact: old password WRONGPASS
      await secured.exactOn(waiting, 'PING');                       // exact: NOAUTH
      await secured.exactOn(admin, 'CONFIG', 'SET', 'requirepass', ''); // exact: no password
      await secured.exactOn(waiting, 'PING');                       // exact: PONG without AUTH
      await secured.exactOn(waiting, 'HELLO', '3');                 // exact: HELLO still wants AUTH
      const fresh = await secured.connect();
      await secured.exactOn(fresh, 'PING');                         // exact: new clients need nothing
      await secured.exactOn(fresh, 'AUTH', 'x');                    // exact: no password configured
      await secured.exactOn(admin, 'CONFIG', 'SET', 'requirepass', 'third'); // exact
      await secured.exactOn(waiting, 'PING');                       // exact: NOAUTH again
      await secured.exactOn(fresh, 'PING');                         // exact: PONG, was authenticated
      await secured.exactOn(waiting, 'AUTH', 'third');              // exact: OK
      await secured.exactOn(waiting, 'PING');                       // exact: PONG
    } finally {
      await secured.exactOn(admin, 'CONFIG', 'SET', 'requirepass', 'se cret'); // exact
    }
  });
});

describe('CLIENT', () => {
  test('ID, SETNAME, GETNAME', async () => {
    const [rid, lid] = await clientIds([p.r, p.l]);
    expect(Number(lid)).toBeGreaterThan(0);
    expect(Number(rid)).toBeGreaterThan(0);
    await p.exact('CLIENT', 'GETNAME');                             // exact: null
    await p.exact('CLIENT', 'SETNAME', 'conn-1');                   // exact
    await p.exact('CLIENT', 'GETNAME');                             // exact
    await p.exact('client', 'setname', '!~');                       // exact: printable edges
    await p.exact('CLIENT', 'GETNAME');                             // exact
    await p.exact('CLIENT', 'SETNAME', 'a b');                      // exact: space
    await p.exact('CLIENT', 'SETNAME', 'a\x7fb');                   // exact: DEL
    await p.exact('CLIENT', 'SETNAME', 'a\0b');                     // exact: NUL
    await p.exact('CLIENT', 'SETNAME', '\xe9');                     // exact: high byte
    await p.exact('CLIENT', 'GETNAME');                             // exact: unchanged
    await p.exact('CLIENT', 'SETNAME', '');                         // exact: clears
    await p.exact('CLIENT', 'GETNAME');                             // exact: null
    await p.exact('CLIENT', 'ID', 'x');                             // exact: arity
    await p.exact('CLIENT', 'SETNAME');                             // exact: arity
    await p.exact('CLIENT', 'SETNAME', 'a', 'b');                   // exact: arity
    await p.exact('CLIENT', 'GETNAME', 'x');                        // exact: arity
    await p.exact('CLIENT', 'INFO', 'x');                           // exact: arity
    await p.exact('CLIENT', 'HELP', 'x');                           // exact: arity
    await p.exact('CLIENT');                                        // exact: container arity
    await p.exact('CLIENT', 'nosuch');                              // exact: unknown subcommand
    await p.exact('client', 'NoSuch', 'a', 'b');                    // exact
    await p.exact('CLIENT', 'x'.repeat(200));                       // exact: name cut at 128
  });

  test('LIST and INFO lines: Redis fields in order, same deterministic values', async () => {
    const other = await p.connect();
    await p.exactOn(other, 'CLIENT', 'SETNAME', 'other');           // exact
    await p.exactOn(other, 'SELECT', '5');                          // exact
    await p.exactOn(other, 'GET', 'k');                             // exact
    const [rid, lid] = await clientIds(other);
    await p.exactOn(other, 'NOSUCH');                               // exact: cmd=NULL afterwards
    const [rSelf, lSelf] = await clientIds([p.r, p.l]);
    const redisLines = listText(await p.r.call('CLIENT', 'LIST', 'ID', rSelf, rid)).split('\n');
    const lapseLines = listText(await p.l.call('CLIENT', 'LIST', 'ID', lSelf, lid)).split('\n');
    expect(redisLines.length).toBe(3);
    expect(lapseLines.length).toBe(3);
    expect(lapseLines[2]).toBe('');
    compareLines(redisLines[0]!, lapseLines[0]!);                   // fields: self, cmd=client|list
    compareLines(redisLines[1]!, lapseLines[1]!);                   // fields: other, cmd=NULL, db=5
    expect(new Map(fields(lapseLines[1]!)).get('name')).toBe('other');
    expect(new Map(fields(lapseLines[0]!)).get('id')).toBe(lSelf);
    await p.exactOn(other, 'GET');                                  // exact: arity error
    compareLines(
      listText(await p.r.call('CLIENT', 'LIST', 'ID', rid)).trimEnd(),
      listText(await p.l.call('CLIENT', 'LIST', 'ID', lid)).trimEnd(),
    );                                                              // fields: rejected command is cmd=get
    await p.exactOn(other, 'CLIENT', 'nosuch');                     // exact
    compareLines(
      listText(await p.r.call('CLIENT', 'LIST', 'ID', rid)).trimEnd(),
      listText(await p.l.call('CLIENT', 'LIST', 'ID', lid)).trimEnd(),
    );                                                              // fields: unknown subcommand, cmd=NULL
    await p.exactOn(other, 'CLIENT');                               // exact: container arity
    compareLines(
      listText(await p.r.call('CLIENT', 'LIST', 'ID', rid)).trimEnd(),
      listText(await p.l.call('CLIENT', 'LIST', 'ID', lid)).trimEnd(),
    );                                                              // fields: cmd=client
    const [ri, li] = await p.both(['CLIENT', 'INFO'], other);
    expect(ri.toString('latin1').endsWith('\n\r\n')).toBe(true);
    expect(li.toString('latin1').endsWith('\n\r\n')).toBe(true);
    compareLines(listText(ri).trimEnd(), listText(li).trimEnd());  // fields: cmd=client|info
    await exactExceptId(p, other, 'HELLO', '3', 'SETNAME', 'three'); // exact but id: RESP3 now
    const [r3, l3] = await p.both(['CLIENT', 'INFO'], other);
    expect(r3[0]).toBe(0x3d);
    expect(l3[0]).toBe(0x3d);                                       // verbatim in RESP3
    expect(l3.toString('latin1').slice(0, 20)).toMatch(/^=\d+\r\ntxt:id=/);
    compareLines(listText(r3).trimEnd(), listText(l3).trimEnd());  // fields: resp=3, name=three
    const [rl3, ll3] = await p.both(['CLIENT', 'LIST', 'ID', rid], other);
    expect(rl3[0]).toBe(0x3d);
    expect(ll3[0]).toBe(0x3d);                                      // verbatim in RESP3
  });

  test('LIST options and errors', async () => {
    await p.exact('CLIENT', 'LIST', 'ID', '999999');                // exact: empty
    await p.exact('CLIENT', 'LIST', 'ID', '-1', '0');               // exact: empty
    await p.exact('CLIENT', 'LIST', 'ID', '1', 'x');                // exact: invalid ID
    await p.exact('CLIENT', 'LIST', 'ID', '9223372036854775808');   // exact: invalid ID
    await p.exact('CLIENT', 'LIST', 'ID');                          // exact: syntax error
    await p.exact('CLIENT', 'LIST', 'TYPE');                        // exact
    await p.exact('CLIENT', 'LIST', 'TYPE', 'foo');                 // exact: unknown type
    const [rn, ln] = await p.both(['CLIENT', 'LIST', 'TYPE', 'normal\0x']);
    expect([rn[0], ln[0]]).toEqual([0x24, 0x24]);                    // both lists: the type is read up to NUL
    await p.exact('CLIENT', 'LIST', 'TYPE', 'normal', 'x');         // exact: syntax error
    await p.exact('CLIENT', 'LIST', 'foo');                         // exact
    await p.exact('CLIENT', 'LIST', 'TYPE', 'master');              // exact: empty
    await p.exact('CLIENT', 'LIST', 'TYPE', 'replica');             // exact: empty
    await p.exact('CLIENT', 'LIST', 'TYPE', 'SLAVE');               // exact: empty
    await p.exact('CLIENT', 'LIST', 'TYPE', 'pubsub');              // exact: empty
    const [r, l] = await p.both(['CLIENT', 'LIST', 'TYPE', 'Normal']);
    expect(listText(r).length).toBeGreaterThan(0);
    // Every lapse client is a normal client: TYPE normal lists all of them.
    const all = listText(await p.l.call('CLIENT', 'LIST')).split('\n').map((x) => x.split(' ')[0]);
    expect(listText(l).split('\n').map((x) => x.split(' ')[0])).toEqual(all);
  });

  test("output counts as interaction: a fed subscriber and a served blocked client are not idle (Redis's writeToClient)", async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const sub = await p.connect();
    const blocked = await p.connect();
    const subIds = await clientIds(sub);
    const blockedIds = await clientIds(blocked);
    await p.exactOn(sub, 'SUBSCRIBE', 'ch');                        // exact
    for (const c of blocked) c.send('BLPOP', 'idle-list', '0');
    // 2.4 s in which neither sends a byte; the subscriber is sent a message every 200 ms.
    for (let i = 0; i < 12; i++) {
      await sleep(200);
      await p.exact('PUBLISH', 'ch', `m${i}`);                      // exact: 1 receiver
      for (const c of sub) await c.readReplyBytes();
    }
    await p.exact('RPUSH', 'idle-list', 'x');                       // exact
    for (const c of blocked) await c.readReplyBytes();
    // idle= in whole seconds: 0, or 1 across a second's boundary; 2 or more if only input counted.
    const idleOf = async (c: RawClient, id: string) => Number(/ idle=(\d+)/.exec((await c.call('CLIENT', 'LIST', 'ID', id)).toString('latin1'))?.[1]);
    for (const [rid, lid] of [subIds, blockedIds]) {
      expect(await idleOf(p.r, rid), 'redis idle=').toBeLessThanOrEqual(1);
      expect(await idleOf(p.l, lid), 'lapse idle=').toBeLessThanOrEqual(1);
    }
  });

  test('CLIENT HELP is Redis text for the subcommands lapse implements, with SETINFO', async () => {
    const [r, l] = await p.both(['CLIENT', 'HELP']);
    const implemented = p.lapse.commands.lookup('client')!.subcommands!;
    const kept: string[] = [];
    let keep = true;
    for (const line of texts(r)) {
      if (!line.startsWith(' ') && kept.length > 0) {
        const word = line.split(' ')[0]!.toLowerCase();
        keep = word === 'help' || implemented.has(word);
        // Redis 7.2 documents SETINFO right after SETNAME.
        if (word === 'unblock') {
          kept.push('SETINFO <option> <value>', '    Set client meta attr. Options are:',
            '    * LIB-NAME: the client lib name.', '    * LIB-VER: the client lib version.');
        }
      }
      if (keep) kept.push(line);
    }
    expect(texts(l)).toEqual(kept);
  });
});

describe('CLIENT SETINFO (Redis 7.2; lapse only)', () => {
  // Redis 7.2 docs: https://redis.io/commands/client-setinfo/ — LIB-NAME and LIB-VER,
  // no spaces, newlines or other non-printable characters; errors as in networking.c.
  test('sets lib-name and lib-ver shown by CLIENT INFO and LIST', async () => {
    const l = p.l;
    const info = async () => new Map(fields(listText(await l.call('CLIENT', 'INFO')).trimEnd()));
    expect((await info()).get('lib-name')).toBe('');
    expect(show(await l.call('CLIENT', 'SETINFO', 'LIB-NAME', 'node-redis(x_v1.0)'))).toBe(show(Buffer.from('+OK\r\n')));
    expect(show(await l.call('client', 'setinfo', 'lib-ver', '6.3.1'))).toBe(show(Buffer.from('+OK\r\n')));
    expect((await info()).get('lib-name')).toBe('node-redis(x_v1.0)');
    expect((await info()).get('lib-ver')).toBe('6.3.1');
    expect(show(await l.call('CLIENT', 'SETINFO', 'Lib-Ver', ''))).toBe(show(Buffer.from('+OK\r\n')));
    expect((await info()).get('lib-ver')).toBe('');
    expect(show(await l.call('CLIENT', 'SETINFO', 'lib-name', 'a b'))).toBe(
      show(Buffer.from('-ERR lib-name cannot contain spaces, newlines or special characters.\r\n')),
    );
    expect(show(await l.call('CLIENT', 'SETINFO', 'LIB-VER', '1\n2'))).toBe(
      show(Buffer.from('-ERR LIB-VER cannot contain spaces, newlines or special characters.\r\n')),
    );
    expect(show(await l.call('CLIENT', 'SETINFO', 'LIB-NAME', '\x7f'))).toBe(
      show(Buffer.from('-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n')),
    );
    expect(show(await l.call('CLIENT', 'SETINFO', 'lib-foo', 'x'))).toBe(
      show(Buffer.from("-ERR Unrecognized option 'lib-foo'\r\n")),
    );
    expect(show(await l.call('CLIENT', 'SETINFO', 'LIB-NAME'))).toBe(
      show(Buffer.from("-ERR wrong number of arguments for 'client|setinfo' command\r\n")),
    );
    expect((await info()).get('lib-name')).toBe('node-redis(x_v1.0)');
    const line = listText(await l.call('CLIENT', 'LIST', 'ID', integerText(await l.call('CLIENT', 'ID'))));
    expect(line).toMatch(/ lib-name=node-redis\(x_v1\.0\) lib-ver=\n$/);
  });
});
