import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { createServer } from '../../src/index.js';
import { argvToConfig } from '../../src/config/config.js';
import { Pair, pairSuite, show } from './harness.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, type Reply } from '../helpers/resp.js';

/**
 * Access control against Redis 7.0: ACL SETUSER's rules and errors, the descriptions of
 * ACL GETUSER and ACL LIST, NOPERM refusals (commands, keys with read/write
 * permissions, channels), AUTH and HELLO with users, the ACL log, DRYRUN, CAT, GENPASS,
 * DELUSER, and the default user with requirepass.
 *
 * Comparisons named "rules" are exact except for the order of single-command rules
 * ("+get -config|set"): Redis writes those in the order of its command hash table, which
 * changes from run to run, so they are compared as a set; the category rules before
 * them ("-@all +@string +@hash ...") are chosen by Redis's deterministic fitting and are
 * compared in order.
 *
 * Both servers start with a user "admin" declared in their configuration (a `user`
 * line), which every test uses to reset the users.
 */

const ADMIN = 'admin on >admin-pw ~* &* +@all';
// Users first, then reset(): a test may leave the default user unable to FLUSHALL.
const p = pairSuite({ lapse: { user: ADMIN }, redis: ['--user', ...ADMIN.split(' ')], reset: false });
beforeEach(async () => {
  await resetUsers(p);
  await p.reset();
});

type Conn = [RawClient, RawClient];

/** Back to the start: the default user as Redis creates it, admin, nothing else. */
async function resetUsers(pair: Pair): Promise<void> {
  for (const port of [pair.redis.port, pair.lapsePort]) {
    const c = await RawClient.connect(port);
    await c.call('AUTH', 'admin', 'admin-pw');
    await c.call('ACL', 'SETUSER', 'default', 'on', 'nopass', '~*', '&*', '+@all', 'clearselectors');
    await c.call('CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels', 'acllog-max-len', '128');
    const users = decodeReply(await c.call('ACL', 'USERS'))!.reply;
    for (const u of (users as { value: Reply[] }).value.map(str)) {
      if (u !== 'default' && u !== 'admin') await c.call('ACL', 'DELUSER', u);
    }
    await c.call('ACL', 'LOG', 'RESET');
    c.close();
  }
}

function str(r: Reply): string {
  if (r.type === 'bulk' || r.type === 'verbatim') return r.value.toString('latin1');
  if (r.type === 'simple' || r.type === 'error') return r.value;
  if (r.type === 'integer') return String(r.value);
  throw new Error(`not a string: ${JSON.stringify(r)}`);
}

/**
 * A reply with each run of single-command rules sorted, line by line: RESP lengths do
 * not change, so the rest still compares byte for byte. A run ends at any other token;
 * a selector's closing parenthesis stays on the run's last token.
 */
function sortRules(raw: Buffer): string {
  return raw
    .toString('latin1')
    .split(/(\r?\n)/)
    .map((line, i) => {
      if (i % 2 === 1) return line;
      const tokens = line.split(' ');
      const out: string[] = [];
      let run: string[] = [];
      let closing = '';
      const flush = () => {
        run.sort();
        if (run.length > 0) run[run.length - 1] += closing;
        out.push(...run);
        run = [];
        closing = '';
      };
      for (const t of tokens) {
        if (/^[+-][^@]/.test(t)) {
          if (t.endsWith(')')) {
            run.push(t.slice(0, -1));
            closing = ')';
            flush();
          } else run.push(t);
        } else {
          flush();
          out.push(t);
        }
      }
      flush();
      return out.join(' ');
    })
    .join('');
}

/** Both replies equal once single-command rules are sorted (see the file comment). */
async function rules(...args: string[]): Promise<void> {
  return rulesOn([p.r, p.l], ...args);
}

async function rulesOn(on: Conn, ...args: string[]): Promise<void> {
  const [a, b] = await p.both(args, on);
  expect(JSON.stringify(sortRules(b)), `rules: ${args.join(' ')}`).toBe(JSON.stringify(sortRules(a)));
}

/** Both replies equal once the client id of a HELLO reply is masked. */
async function exactExceptId(on: Conn, ...args: string[]): Promise<void> {
  const [a, b] = await p.both(args, on);
  const mask = (x: Buffer) => show(x).replace(/(\$2\\r\\nid\\r\\n:)\d+/, '$1<id>');
  expect(mask(b), `exact but id: ${args.join(' ')}`).toBe(mask(a));
}

/** A connection to each server authenticated as the user. */
async function as(user: string, password = 'pw'): Promise<Conn> {
  const on = await p.connect();
  await p.exactOn(on, 'AUTH', user, password);
  return on;
}

describe('ACL SETUSER rules and their errors', () => {
  test('flags, passwords and their errors', async () => {
    await p.exact('ACL', 'SETUSER', 'u');                                       // exact: a new user, off
    await rules('ACL', 'GETUSER', 'u');                                         // rules
    await p.exact('ACL', 'SETUSER', 'u', 'on', '>p1', '>p2', '>p1');            // exact: p1 once
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact: two sha256 hashes
    await p.exact('ACL', 'SETUSER', 'u', '<p1');                                // exact
    await p.exact('ACL', 'SETUSER', 'u', '<p1');                                // exact: no such password
    await p.exact('ACL', 'SETUSER', 'u', '#' + 'a'.repeat(64));                 // exact
    await p.exact('ACL', 'SETUSER', 'u', '#' + 'A'.repeat(64));                 // exact: uppercase hex refused
    await p.exact('ACL', 'SETUSER', 'u', '#' + 'a'.repeat(63));                 // exact: too short
    await p.exact('ACL', 'SETUSER', 'u', '#' + 'a'.repeat(65));                 // exact: too long
    await p.exact('ACL', 'SETUSER', 'u', '#' + 'g'.repeat(64));                 // exact
    await p.exact('ACL', 'SETUSER', 'u', '!' + 'b'.repeat(64));                 // exact: not there
    await p.exact('ACL', 'SETUSER', 'u', '!xyz');                               // exact: not a hash
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact
    await p.exact('ACL', 'SETUSER', 'u', '!' + 'a'.repeat(64));                 // exact
    await p.exact('ACL', 'SETUSER', 'u', '>', '>\0\xff\r\n');                   // exact: empty and binary passwords
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact
    await p.exact('ACL', 'SETUSER', 'u', 'nopass');                             // exact: passwords gone
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact
    await p.exact('ACL', 'SETUSER', 'u', '>x');                                 // exact: clears nopass
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact
    await p.exact('ACL', 'SETUSER', 'u', 'resetpass');                          // exact
    await p.exact('ACL', 'SETUSER', 'u', 'OFF', 'On', 'skip-sanitize-payload'); // exact: case-insensitive
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact
    await p.exact('ACL', 'SETUSER', 'u', 'sanitize-payload', 'on\0junk');       // exact: a rule is a C string
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact
    await p.exact('ACL', 'SETUSER', 'u', '');                                   // exact: an empty rule does nothing
    await p.exact('ACL', 'SETUSER', 'u', 'bogus');                              // exact: syntax error
    await p.exact('ACL', 'SETUSER', 'u', 'bogus\0x');                           // exact: named up to the NUL
    await p.exact('ACL', 'SETUSER', 'u', 'on\r\nx');                            // exact: newlines in the error
    await p.exact('ACL', 'SETUSER', 'u', 'reset');                              // exact
    await p.exact('ACL', 'GETUSER', 'u');                                       // exact
  });

  test('an error changes nothing', async () => {
    await p.exact('ACL', 'SETUSER', 'u', 'on', '>a', '~k', '+get');             // exact
    await p.exact('ACL', 'SETUSER', 'u', 'off', '>b', '~j', '+set', 'bogus');   // exact: refused
    await rules('ACL', 'GETUSER', 'u');                                         // rules: as before
    await p.exact('ACL', 'SETUSER', 'new', 'on', 'bogus');                      // exact
    await p.exact('ACL', 'GETUSER', 'new');                                     // exact: not created
    await p.exact('ACL', 'GETUSER', 'nosuchuser');                              // exact: null
  });

  test('user names', async () => {
    await p.exact('ACL', 'SETUSER', 'a b');                                     // exact: spaces refused
    await p.exact('ACL', 'SETUSER', 'a\tb');                                    // exact
    await p.exact('ACL', 'SETUSER', 'a\0b');                                    // exact: NUL refused
    await p.exact('ACL', 'SETUSER', 'a\vb');                                    // exact: isspace
    await p.exact('ACL', 'SETUSER', '');                                        // exact: the empty name is allowed
    await p.exact('ACL', 'SETUSER', '\xff\x01é');                               // exact: binary
    await p.exact('ACL', 'SETUSER', 'B');                                       // exact
    await p.exact('ACL', 'SETUSER', 'a');                                       // exact
    await p.exact('ACL', 'USERS');                                              // exact: sorted by bytes
    await rules('ACL', 'LIST');                                                 // rules
    await p.exact('ACL', 'GETUSER', 'A');                                       // exact: names are case-sensitive
  });

  test('key patterns', async () => {
    await p.exact('ACL', 'SETUSER', 'k', '~a', '~b*', '~a');                    // exact
    await p.exact('ACL', 'SETUSER', 'k', '%R~r', '%W~w', '%RW~rw', '%WR~wr', '%rw~lower'); // exact
    await p.exact('ACL', 'SETUSER', 'k', '%R~x', '%W~x');                       // exact: merged into ~x
    await p.exact('ACL', 'SETUSER', 'k', '%R~a');                               // exact: ~a stays read-write
    await rules('ACL', 'GETUSER', 'k');                                         // rules
    await p.exact('ACL', 'SETUSER', 'k', '%~q');                                // exact: no permission letter
    await p.exact('ACL', 'SETUSER', 'k', '%');                                  // exact
    await p.exact('ACL', 'SETUSER', 'k', '%RR~x');                              // exact: repeated letter
    await p.exact('ACL', 'SETUSER', 'k', '%x~a');                               // exact
    await p.exact('ACL', 'SETUSER', 'k', '%R');                                 // exact: no tilde, empty pattern
    await p.exact('ACL', 'SETUSER', 'k', '~');                                  // exact: empty pattern
    await p.exact('ACL', 'SETUSER', 'k', '~a b');                               // exact: spaces refused
    await p.exact('ACL', 'SETUSER', 'k', '~a\0b');                              // exact: NUL refused
    await p.exact('ACL', 'SETUSER', 'k', '~\xff[a-z]?');                        // exact
    await rules('ACL', 'GETUSER', 'k');                                         // rules
    await rules('ACL', 'LIST');                                                 // rules
    await p.exact('ACL', 'SETUSER', 'k', 'allkeys');                            // exact
    await p.exact('ACL', 'SETUSER', 'k', '~x');                                 // exact: after allkeys
    await p.exact('ACL', 'SETUSER', 'k', '%R~x');                               // exact
    await p.exact('ACL', 'SETUSER', 'k', 'resetkeys', '~x', '~*');              // exact: ~* is allkeys
    await rules('ACL', 'GETUSER', 'k');                                         // rules
    await p.exact('ACL', 'SETUSER', 'k', 'resetkeys', '%RW~*', '~y');           // exact: %RW~* is a pattern
    await rules('ACL', 'GETUSER', 'k');                                         // rules
    await p.exact('ACL', 'SETUSER', 'k', 'ALLKEYS', 'resetkeys');               // exact
    await rules('ACL', 'GETUSER', 'k');                                         // rules
    await p.exact('ACL', 'SETUSER', 'e', '+@all', '%RW~*');                     // exact
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', '');                             // exact: a pattern matches no empty key
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', 'a');                            // exact
    await p.exact('ACL', 'SETUSER', 'e', 'resetkeys', '~a*', '~**');            // exact
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', '');                             // exact
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', 'a');                            // exact
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', 'b');                            // exact
    await p.exact('ACL', 'SETUSER', 'e', 'resetkeys', '~*');                    // exact: allkeys
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', '');                             // exact: every key
    await p.exact('ACL', 'SETUSER', 'e', 'resetkeys', '~\\*', '~[ab]?');        // exact
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', '*');                            // exact: an escaped star
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', 'bz');                           // exact
    await p.exact('ACL', 'DRYRUN', 'e', 'GET', 'cz');                           // exact
  });

  test('channel patterns and acl-pubsub-default', async () => {
    await p.exact('ACL', 'SETUSER', 'c', '&a', '&b*', '&a', '&');               // exact
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', '&a b');                               // exact: spaces refused
    await p.exact('ACL', 'SETUSER', 'c', 'allchannels', '&x');                  // exact: after allchannels
    await p.exact('ACL', 'SETUSER', 'c', 'resetchannels', '&x', '&*');          // exact
    await rules('ACL', 'LIST');                                                 // rules
    await p.exact('ACL', 'SETUSER', 'c', 'RESETCHANNELS');                      // exact
    await p.exact('CONFIG', 'SET', 'acl-pubsub-default', 'allchannels');       // exact
    await p.exact('ACL', 'SETUSER', 'd');                                       // exact: a new user gets &*
    await p.exact('ACL', 'SETUSER', 'c', 'reset');                              // exact: reset too
    await p.exact('ACL', 'SETUSER', 'c', '(~x)');                               // exact: a new selector too
    await rules('ACL', 'LIST');                                                 // rules
    await p.exact('CONFIG', 'GET', 'acl-pubsub-default');                       // exact
    await p.exact('CONFIG', 'SET', 'acl-pubsub-default', 'nope');               // exact
    await p.exact('CONFIG', 'SET', 'acl-pubsub-default', 'RESETCHANNELS');      // exact
    await p.exact('CONFIG', 'GET', 'acl-pubsub-default');                       // exact
  });

  test('commands, categories, subcommands and first arguments', async () => {
    await p.exact('ACL', 'SETUSER', 'c', '+get', '+SET', '-get');              // exact
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', '+nosuch');                            // exact
    await p.exact('ACL', 'SETUSER', 'c', '-nosuch');                            // exact
    await p.exact('ACL', 'SETUSER', 'c', '+');                                  // exact
    await p.exact('ACL', 'SETUSER', 'c', '-');                                  // exact
    await p.exact('ACL', 'SETUSER', 'c', '+|');                                 // exact
    await p.exact('ACL', 'SETUSER', 'c', '+@');                                 // exact
    await p.exact('ACL', 'SETUSER', 'c', '+@nosuch');                           // exact
    await p.exact('ACL', 'SETUSER', 'c', '-@READ', '+@Write');                  // exact: categories ignore case
    await p.exact('ACL', 'SETUSER', 'c', '+lolwut', '-debug', '+xadd');         // exact: commands lapse lacks
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', '+config|get', '+CONFIG|SET', '-config|set'); // exact
    await p.exact('ACL', 'SETUSER', 'c', '+config|');                           // exact: empty subcommand
    await p.exact('ACL', 'SETUSER', 'c', '+config|nosuch');                     // exact
    await p.exact('ACL', 'SETUSER', 'c', '+config|get|x');                      // exact: first-arg of a subcommand
    await p.exact('ACL', 'SETUSER', 'c', '-config|nosuch');                     // exact
    await p.exact('ACL', 'SETUSER', 'c', '-select|0');                          // exact: first-args only added
    await p.exact('ACL', 'SETUSER', 'c', '+select|0', '+select|1', '+SELECT|1'); // exact
    await p.exact('ACL', 'SETUSER', 'c', '+select|');                           // exact
    await p.exact('ACL', 'SETUSER', 'c', '+nosuch|x');                          // exact
    await p.exact('ACL', 'SETUSER', 'c', '+get|x|y');                           // exact
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await rules('ACL', 'LIST');                                                 // rules
    await p.exact('ACL', 'SETUSER', 'c', '+select');                            // exact: first-args dropped
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', '-select', '+select|2', '+@all');      // exact: +@all drops them
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', '-@all', '+select|2', 'nocommands');   // exact
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', 'allcommands', '-config', '+config|get'); // exact
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', '-@all', '+config');                   // exact: a container and its subcommands
    await rules('ACL', 'GETUSER', 'c');                                         // rules
    await p.exact('ACL', 'SETUSER', 'c', '+@all', '-get', '+get');             // exact: all bits, no flag
    await rules('ACL', 'GETUSER', 'c');                                         // rules
  });

  test('how categories are fitted in descriptions', async () => {
    const sets = [
      ['+@read', '+@write', '-@dangerous'],
      ['+@read', '-@hash', '+hget'],
      ['+@all', '-@dangerous', '-@admin', '+config|get'],
      ['+@all', '-@write', '+set'],
      ['+@string', '+@hash', '+@keyspace', '-@slow'],
      ['+@fast'],
      ['+@slow', '-@fast', '+ping'],
      ['+@pubsub', '+@connection', '+@transaction'],
      ['+@read', '+@scripting', '-eval'],
      ['+@all', '-@read', '-@write', '+@set'],
      ['+client', '-client|kill', '+acl|whoami'],
      ['+@admin', '-@dangerous'],
      ['+@blocking', '+@list', '-@slow'],
      ['+@geo', '+@stream', '+@bitmap', '+@hyperloglog', '-@write'],
    ];
    for (const [i, set] of sets.entries()) {
      await p.exact('ACL', 'SETUSER', `f${i}`, ...set!);                       // exact
      await rules('ACL', 'GETUSER', `f${i}`);                                  // rules
    }
    await rules('ACL', 'LIST');                                                 // rules
  });

  test('selectors', async () => {
    await p.exact('ACL', 'SETUSER', 's', 'on', 'nopass', '(~x +get)', '(%R~y +@read &c)'); // exact
    await rules('ACL', 'GETUSER', 's');                                         // rules
    await p.exact('ACL', 'SETUSER', 's', '(~a', '+set', '+get)');               // exact: spread over arguments
    await p.exact('ACL', 'SETUSER', 's', '(~a');                                // exact: unmatched
    await p.exact('ACL', 'SETUSER', 's', 'on', '(~a', '+get');                  // exact: names the opening argument
    await p.exact('ACL', 'SETUSER', 's', '(~a', '(~b', '+get)');                // exact: a '(' reopens
    await p.exact('ACL', 'SETUSER', 's', '(~a', '(~b');                         // exact
    await p.exact('ACL', 'SETUSER', 's', '(bogus)');                            // exact: the whole selector named
    await p.exact('ACL', 'SETUSER', 's', '(on)');                               // exact: user flags are not selector rules
    await p.exact('ACL', 'SETUSER', 's', '()');                                 // exact: an empty selector
    await p.exact('ACL', 'SETUSER', 's', '("a b" +get)');                       // exact: quotes split as sdssplitargs
    await p.exact('ACL', 'SETUSER', 's', '("unbalanced)');                      // exact: an empty selector
    await p.exact('ACL', 'SETUSER', 's', "('~q' \"+set\")");                    // exact
    await rules('ACL', 'GETUSER', 's');                                         // rules
    await rules('ACL', 'LIST');                                                 // rules
    await p.exact('ACL', 'SETUSER', 's', 'clearselectors');                     // exact
    await rules('ACL', 'GETUSER', 's');                                         // rules
    await p.exact('ACL', 'SETUSER', 's', '(+get)', 'reset');                    // exact: reset clears them
    await rules('ACL', 'GETUSER', 's');                                         // rules
  });

  test('a command runs if any selector allows it', async () => {
    await p.exact('ACL', 'SETUSER', 'sel', 'on', '>pw', '-@all', '~a', '+set', '(~x +get)', '(%R~y +@read)', '(~z &c +publish)'); // exact
    const on = await as('sel');
    for (const c of [
      ['GET', 'x'], ['GET', 'y'], ['GET', 'z'], ['GET', 'a'], ['MGET', 'x', 'y'], ['SET', 'a', 'v'], ['SET', 'x', 'v'],
      ['SET', 'y', 'v'], ['DEL', 'z'], ['PUBLISH', 'c', 'm'], ['PUBLISH', 'd', 'm'], ['STRLEN', 'q'],
    ]) {
      await p.exact('ACL', 'DRYRUN', 'sel', ...c);                             // exact
      await p.exactOn(on, ...c);                                                // exact
    }
    await logs('ACL', 'LOG');                                                   // log: the object of each refusal
  });
});

describe('permission checks', () => {
  test('a session user: ~sess:* +@read +@write -@dangerous', async () => {
    await p.exact('ACL', 'SETUSER', 'app', 'on', '>pw', '~sess:*', '+@read', '+@write', '-@dangerous'); // exact
    await p.exact('SET', 'other', 'x');                                         // exact
    const on = await as('app');
    await p.exactOn(on, 'SET', 'sess:1', 'data', 'EX', '100');                  // exact
    await p.exactOn(on, 'GET', 'sess:1');                                       // exact
    await p.exactOn(on, 'GET', 'other');                                        // exact: NOPERM key
    await p.exactOn(on, 'SET', 'other', 'y');                                   // exact
    await p.exactOn(on, 'MGET', 'sess:1', 'other');                             // exact: one key is enough
    await p.exactOn(on, 'DEL', 'sess:1', 'sess:2');                             // exact
    await p.exactOn(on, 'FLUSHALL');                                            // exact: NOPERM command
    await p.exactOn(on, 'FLUSHDB');                                             // exact
    await p.exactOn(on, 'KEYS', '*');                                           // exact: @dangerous
    await p.exactOn(on, 'CONFIG', 'GET', 'maxmemory');                          // exact: NOPERM config|get
    await p.exactOn(on, 'ACL', 'WHOAMI');                                       // exact: not @read nor @write
    await p.exactOn(on, 'PING');                                                // exact
    await p.exactOn(on, 'AUTH', 'app', 'pw');                                   // exact: no_auth commands always run
    await exactExceptId(on, 'HELLO', '2');                                      // exact but id: no_auth, not @read/@write
    await p.exactOn(on, 'RENAME', 'sess:1', 'other');                           // exact
    await p.exactOn(on, 'EXPIRE', 'sess:1', '10');                              // exact
    await p.exactOn(on, 'HSET', 'sess:h', 'f', 'v');                            // exact
    await p.exactOn(on, 'HGETALL', 'other');                                    // exact: key checked before the type
    await p.exactOn(on, 'GET');                                                 // exact: arity first
    await p.exactOn(on, 'NOSUCH', 'x');                                         // exact
    await p.exactOn(on, 'SUBSCRIBE', 'c');                                      // exact: NOPERM (no @pubsub)
    await p.exactOn(on, 'EXISTS', 'other');                                     // exact
    await p.exactOn(on, 'DBSIZE');                                              // exact: no key arguments
  });

  test('read and write key permissions', async () => {
    await p.exact('ACL', 'SETUSER', 'rw', 'on', '>pw', '+@all', '%R~r:*', '%W~w:*', '~both:*'); // exact
    await p.exact('SET', 'r:1', 'x');                                           // exact
    const on = await as('rw');
    const cases: string[][] = [
      ['GET', 'r:1'], ['GET', 'w:1'], ['GET', 'both:1'],
      ['SET', 'r:1', 'v'], ['SET', 'w:1', 'v'], ['SET', 'both:1', 'v'],
      ['SET', 'w:1', 'v', 'GET'], ['SET', 'w:1', 'v', 'get\0x'], ['SET', 'both:1', 'v', 'GET'], ['SET', 'r:1', 'v', 'NX', 'gEt'],
      ['GETDEL', 'w:1'], ['GETEX', 'r:1'], ['GETEX', 'r:1', 'PERSIST'], ['APPEND', 'w:1', 'x'], ['STRLEN', 'w:1'],
      ['INCR', 'w:n'], ['DEL', 'r:1'], ['DEL', 'w:1'], ['UNLINK', 'w:2'], ['EXISTS', 'w:1'], ['TYPE', 'w:1'],
      ['TOUCH', 'w:1'], ['TTL', 'w:1'], ['EXPIRE', 'w:1', '10'], ['PERSIST', 'r:1'],
      ['RENAME', 'w:1', 'w:2'], ['RENAME', 'both:1', 'w:2'], ['RENAME', 'both:1', 'r:2'], ['RENAMENX', 'both:1', 'w:3'],
      ['MSET', 'w:1', 'a', 'w:2', 'b'], ['MSET', 'w:1', 'a', 'r:2', 'b'], ['MSETNX', 'w:1', 'a'], ['MGET', 'r:1', 'both:1'],
      ['HSET', 'w:h', 'f', 'v'], ['HGET', 'w:h', 'f'], ['HGET', 'r:h', 'f'], ['HINCRBY', 'r:h', 'f', '1'],
      ['GETSET', 'w:1', 'v'], ['SETRANGE', 'w:1', '0', 'v'], ['GETRANGE', 'r:1', '0', '1'], ['WATCH', 'w:1'],
      ['HGETALL', 'w:h'], ['HDEL', 'r:h', 'f'], ['HRANDFIELD', 'r:h'],
    ];
    for (const c of cases) {
      await p.exact('ACL', 'DRYRUN', 'rw', ...c);                              // exact
      await p.exactOn(on, ...c);                                                // exact
    }
    // Redis 7.4's hash field TTL commands, which Redis 7.0 lacks: their key specs say
    // HEXPIRE updates (write) and HTTL reads.
    const dry = async (...args: string[]) => str(decodeReply(await p.l.call('ACL', 'DRYRUN', 'rw', ...args))!.reply);
    expect(await dry('HEXPIRE', 'w:h', '10', 'FIELDS', '1', 'f')).toBe('OK');
    expect(await dry('HEXPIRE', 'r:h', '10', 'FIELDS', '1', 'f')).toBe("This user has no permissions to access the 'r:h' key");
    expect(await dry('HTTL', 'r:h', 'FIELDS', '1', 'f')).toBe('OK');
    expect(await dry('HPERSIST', 'r:h', 'FIELDS', '1', 'f')).toBe("This user has no permissions to access the 'r:h' key");
  });

  test('subcommands, first arguments and no_auth commands', async () => {
    await p.exact('ACL', 'SETUSER', 'sub', 'on', '>pw', 'allkeys', '-@all', '+config|get', '+select|1', '+client'); // exact
    const on = await as('sub');
    await p.exactOn(on, 'CONFIG', 'GET', 'timeout');                            // exact
    await p.exactOn(on, 'CONFIG', 'SET', 'timeout', '0');                       // exact: NOPERM config|set
    await p.exactOn(on, 'CONFIG', 'nosuch');                                    // exact: unknown subcommand first
    await p.exactOn(on, 'SELECT', '1');                                         // exact: the allowed first argument
    await p.exactOn(on, 'SELECT', '0');                                         // exact: NOPERM
    await p.exactOn(on, 'CLIENT', 'GETNAME');                                   // exact: the container gave its subcommands
    await p.exactOn(on, 'AUTH', 'sub', 'pw');                                   // exact: no_auth
    await exactExceptId(on, 'HELLO');                                           // exact but id: no_auth
    await p.exactOn(on, 'QUIT');                                                // exact: no_auth
  });

  test('a refusal inside MULTI aborts the transaction', async () => {
    await p.exact('ACL', 'SETUSER', 'm', 'on', '>pw', '~k', '+@all');          // exact
    const on = await as('m', 'pw');
    await p.exactOn(on, 'MULTI');                                               // exact
    await p.exactOn(on, 'SET', 'k', 'v');                                       // exact: QUEUED
    await p.exactOn(on, 'SET', 'other', 'v');                                   // exact: NOPERM
    await p.exactOn(on, 'EXEC');                                                // exact: EXECABORT
    await p.exactOn(on, 'GET', 'k');                                            // exact: nil
    await p.exact('ACL', 'SETUSER', 'm', '-exec');                              // exact
    await p.exactOn(on, 'MULTI');                                               // exact
    await p.exactOn(on, 'EXEC');                                                // exact: EXECABORT because of NOPERM
    await p.exactOn(on, 'EXEC');                                                // exact: the same, not in MULTI
    await p.exact('ACL', 'SETUSER', 'm', '-multi', '+exec');                    // exact
    await p.exactOn(on, 'MULTI');                                               // exact: NOPERM
    await p.exactOn(on, 'EXEC');                                                // exact: without MULTI
  });

  test('rules changed between MULTI and EXEC are checked again', async () => {
    await p.exact('ACL', 'SETUSER', 't', 'on', '>pw', '~*', '&*', '+@all');    // exact
    const on = await as('t');
    await p.exactOn(on, 'MULTI');                                               // exact
    await p.exactOn(on, 'GET', 'k');                                            // exact
    await p.exactOn(on, 'SET', 'k', 'v');                                       // exact
    await p.exactOn(on, 'PUBLISH', 'c', 'm');                                   // exact
    await p.exactOn(on, 'PING');                                                // exact
    await p.exact('ACL', 'SETUSER', 't', '-get', 'resetkeys', '~k2', 'resetchannels'); // exact
    await p.exactOn(on, 'EXEC');                                                // exact: three NOPERM in the array, PONG
    await logs('ACL', 'LOG');                                                   // log
  });

  test('channels', async () => {
    await p.exact('ACL', 'SETUSER', 'ps', 'on', '>pw', '+@all', 'allkeys', 'resetchannels', '&news.*', '&exact'); // exact
    const on = await as('ps');
    await p.exactOn(on, 'PUBLISH', 'news.1', 'm');                              // exact
    await p.exactOn(on, 'PUBLISH', 'sports', 'm');                              // exact: NOPERM channel
    await p.exactOn(on, 'SPUBLISH', 'sports', 'm');                             // exact
    await p.exactOn(on, 'SPUBLISH', 'exact', 'm');                              // exact
    await p.exactOn(on, 'SUBSCRIBE', 'news.1', 'sports');                       // exact: all or none
    await p.exactOn(on, 'SSUBSCRIBE', 'sports');                                // exact
    await p.exactOn(on, 'PSUBSCRIBE', 'news.*x');                               // exact: a pattern must be one of the user's
    await p.exactOn(on, 'PSUBSCRIBE', 'exa*');                                  // exact
    await p.exactOn(on, 'UNSUBSCRIBE', 'sports');                               // exact: unsubscribing needs nothing
    await p.exactOn(on, 'PSUBSCRIBE', 'news.*');                                // exact
    await p.exactOn(on, 'SUBSCRIBE', 'exact');                                  // exact
    for (const c of [['PUBLISH', 'x', 'm'], ['SUBSCRIBE', 'news.a', 'x'], ['PSUBSCRIBE', 'news.*'], ['SSUBSCRIBE', 'exact', 'y'], ['PUBSUB', 'CHANNELS']]) {
      await p.exact('ACL', 'DRYRUN', 'ps', ...c);                              // exact
    }
  });

  test('pub/sub clients lose their connection with their channels', async () => {
    await p.exact('ACL', 'SETUSER', 'sub', 'on', '>pw', '+@all', 'resetchannels', '&a', '&b'); // exact
    const s1 = await as('sub');
    const s2 = await as('sub');
    const s3 = await as('sub');
    await p.exactOn(s1, 'SUBSCRIBE', 'a');                                      // exact
    await p.exactOn(s2, 'SUBSCRIBE', 'b');                                      // exact
    await p.exactOn(s3, 'PING');                                                // exact: not a pub/sub client
    await p.exact('ACL', 'SETUSER', 'sub', '&c');                               // exact: more channels: nobody closed
    await p.exactOn(s1, 'PING');                                                // exact
    await p.exact('ACL', 'SETUSER', 'sub', 'resetchannels', '&a', '&c');        // exact: b revoked
    await s2[0].waitClosed();
    await s2[1].waitClosed();
    await p.exactOn(s1, 'PING');                                                // exact: a is still allowed
    await p.exactOn(s3, 'PING');                                                // exact
    await p.exact('ACL', 'SETUSER', 'sub', 'resetchannels', '&*');              // exact
    await p.exactOn(s1, 'PING');                                                // exact
  });
});

/**
 * ACL LOG replies, compared exactly except for what differs by nature: the age of each
 * entry and the client's CLIENT LIST line (its id, address, memory; lapse's line also
 * has Redis 7.2's lib-name and lib-ver), of which the user and command are compared.
 */
async function logs(...args: string[]): Promise<void> {
  const [a, b] = await p.both(args);
  const out0: { types?: string } = {};
  const shape = (raw: Buffer) => {
    const r = decodeReply(raw)!.reply;
    if (r.type !== 'array') return show(raw);
    return r.value.map((entry) => {
      const items = entry.type === 'map' ? entry.value.flat() : (entry as { value: Reply[] }).value;
      const flat = items.map((x) => (x.type === 'double' ? x.value : str(x)));
      out0.types = `${entry.type}: ${items.map((x) => x.type).join(' ')}`;
      const fieldsOf = (line: string) => Object.fromEntries(line.split(' ').map((f) => f.split('=')));
      const out: Record<string, string> = { types: out0.types! };
      for (let i = 0; i < flat.length; i += 2) {
        const [k, v] = [flat[i]!, flat[i + 1]!];
        if (k === 'age-seconds') out[k] = Number(v) >= 0 && Number(v) < 5 ? 'recent' : v;
        else if (k === 'client-info') {
          const f = fieldsOf(v);
          out[k] = `user=${f.user} cmd=${f.cmd} flags=${f.flags} multi=${f.multi} db=${f.db}`;
        } else out[k] = v;
      }
      return out;
    });
  };
  expect(shape(b), `log: ${args.join(' ')}`).toEqual(shape(a));
}

describe('authentication with users', () => {
  test('AUTH and HELLO AUTH as users', async () => {
    await p.exact('ACL', 'SETUSER', 'alice', 'on', '>a1', '>a2', '~*', '+@all'); // exact
    await p.exact('ACL', 'SETUSER', 'bob', 'off', '>b', '+@all');             // exact
    await p.exact('ACL', 'SETUSER', 'carol', 'on', 'nopass', '+@all');         // exact
    const on = await p.connect();
    await p.exactOn(on, 'ACL', 'WHOAMI');                                       // exact: default
    await p.exactOn(on, 'AUTH', 'alice', 'a2');                                 // exact: any of its passwords
    await p.exactOn(on, 'ACL', 'WHOAMI');                                       // exact: alice
    await p.exactOn(on, 'AUTH', 'alice', 'wrong');                              // exact: WRONGPASS, still alice
    await p.exactOn(on, 'ACL', 'WHOAMI');                                       // exact
    await p.exactOn(on, 'AUTH', 'bob', 'b');                                    // exact: off
    await p.exactOn(on, 'AUTH', 'carol', 'anything');                           // exact: nopass
    await p.exactOn(on, 'ACL', 'WHOAMI');                                       // exact: carol
    await p.exactOn(on, 'AUTH', 'nobody', 'x');                                 // exact
    await p.exactOn(on, 'AUTH', 'alice\0', 'a1');                               // exact: names are binary
    await p.exactOn(on, 'AUTH', 'x');                                           // exact: default has no password
    await exactExceptId(on, 'HELLO', '3', 'AUTH', 'alice', 'a1');               // exact but id
    await p.exactOn(on, 'ACL', 'WHOAMI');                                       // exact
    await p.exactOn(on, 'HELLO', '2', 'AUTH', 'bob', 'b');                      // exact: WRONGPASS
    await p.exactOn(on, 'RESET');                                               // exact
    await p.exactOn(on, 'ACL', 'WHOAMI');                                       // exact: default again
    await p.exact('ACL', 'SETUSER', 'alice', 'off');                            // exact
    const kept = await as('carol', 'x');
    await p.exactOn(kept, 'ACL', 'SETUSER', 'carol', 'off');                    // exact: already connected ones stay
    await p.exactOn(kept, 'ACL', 'WHOAMI');                                     // exact
    await logs('ACL', 'LOG');                                                   // log: the failed authentications
  });

  test('CLIENT LIST and CLIENT INFO show the user', async () => {
    await p.exact('ACL', 'SETUSER', 'dave', 'on', '>d', '+@all');               // exact
    const on = await as('dave', 'd');
    const user = (raw: Buffer) => /user=(\S*)/.exec(str(decodeReply(raw)!.reply))![1];
    const [a, b] = await p.both(['CLIENT', 'INFO'], on);
    expect(user(b)).toBe(user(a));
    expect(user(b)).toBe('dave');
  });

  test('ACL DELUSER closes the connections of deleted users', async () => {
    await p.exact('ACL', 'SETUSER', 'e1', 'on', '>p', '+@all');                 // exact
    await p.exact('ACL', 'SETUSER', 'e2', 'on', '>p', '+@all');                 // exact
    const c1 = await as('e1', 'p');
    const c2 = await as('e2', 'p');
    await p.exact('ACL', 'DELUSER', 'e1', 'nosuch', 'e1');                      // exact: 1
    await c1[0].waitClosed();
    await c1[1].waitClosed();
    await p.exactOn(c2, 'ACL', 'DELUSER', 'e2');                                // exact: the reply comes first
    await c2[0].waitClosed();
    await c2[1].waitClosed();
    await p.exact('ACL', 'DELUSER', 'default');                                 // exact
    await p.exact('ACL', 'DELUSER', 'x', 'default\0y');                         // exact: a C string
    await p.exact('ACL', 'DELUSER', 'x', 'default');                            // exact: nothing deleted
    await p.exact('ACL', 'USERS');                                              // exact
  });

  test('the default user and requirepass', async () => {
    try {
      await p.exact('CONFIG', 'SET', 'requirepass', 'abc');                     // exact
      await p.exact('ACL', 'GETUSER', 'default');                               // exact: one hash
      await p.exact('ACL', 'LIST');                                             // exact
      const fresh = await p.connect();
      await p.exactOn(fresh, 'PING');                                           // exact: NOAUTH
      await p.exactOn(fresh, 'AUTH', 'abc');                                    // exact
      await p.exact('ACL', 'SETUSER', 'default', '>xyz');                       // exact: a second password
      await p.exact('CONFIG', 'GET', 'requirepass');                            // exact: still abc
      const second = await p.connect();
      await p.exactOn(second, 'AUTH', 'default', 'xyz');                        // exact
      await p.exact('CONFIG', 'SET', 'requirepass', 'new');                     // exact: replaces both
      await p.exact('ACL', 'GETUSER', 'default');                               // exact
      await p.exact('ACL', 'SETUSER', 'default', 'nopass');                     // exact
      await p.exact('CONFIG', 'GET', 'requirepass');                            // exact: what was set last
      const third = await p.connect();
      await p.exactOn(third, 'PING');                                          // exact: no password needed
      await p.exactOn(third, 'AUTH', 'x');                                      // exact: no password configured
      await p.exact('ACL', 'SETUSER', 'default', 'resetpass');                  // exact: nobody gets in as default
      const fourth = await p.connect();
      await p.exactOn(fourth, 'PING');                                          // exact: NOAUTH
      await p.exactOn(fourth, 'AUTH', 'x');                                     // exact: WRONGPASS
      await p.exactOn(fourth, 'AUTH', 'admin', 'admin-pw');                     // exact
      await p.exactOn(fourth, 'PING');                                          // exact
      await p.exact('ACL', 'SETUSER', 'default', 'nopass', 'off');              // exact: off asks for AUTH too
      const fifth = await p.connect();
      await p.exactOn(fifth, 'PING');                                           // exact: NOAUTH
      await p.exactOn(fifth, 'AUTH', 'default', 'x');                           // exact: WRONGPASS, disabled
      await p.exactOn(fifth, 'RESET');                                          // exact
      await p.exactOn(fifth, 'PING');                                           // exact: NOAUTH after RESET
      await p.exact('ACL', 'SETUSER', 'default', 'on', '-@all', '+ping');       // exact
      const sixth = await p.connect();
      await p.exactOn(sixth, 'PING');                                           // exact
      await p.exactOn(sixth, 'GET', 'k');                                       // exact: NOPERM
      await p.exactOn(sixth, 'ACL', 'WHOAMI');                                  // exact: NOPERM
    } finally {
      await p.exact('CONFIG', 'SET', 'requirepass', '');                        // exact
    }
  });
});

describe('ACL CAT, GENPASS, DRYRUN, LOG, HELP and errors', () => {
  test('ACL CAT', async () => {
    await p.exact('ACL', 'CAT');                                                // exact: the 21 categories in order
    // Redis lists every command of a category, lapse the ones it implements: the same
    // list once Redis's is kept to lapse's commands and lapse's to Redis's (lapse adds
    // commands of later versions), in any order (Redis's hash table order).
    const names = async (c: RawClient, ...args: string[]) =>
      ((decodeReply(await c.call(...args))!.reply as { value: Reply[] }).value.map(str));
    const lapseCommands = new Set(await names(p.l, 'COMMAND', 'LIST'));
    const redisCommands = new Set(await names(p.r, 'COMMAND', 'LIST'));
    for (const category of await names(p.r, 'ACL', 'CAT')) {
      const redis = (await names(p.r, 'ACL', 'CAT', category)).filter((n) => lapseCommands.has(n)).sort();
      const lapse = await names(p.l, 'ACL', 'CAT', category.toUpperCase());
      expect(lapse.filter((n) => redisCommands.has(n)).sort(), `sorted: ACL CAT ${category}`).toEqual(redis);
      for (const n of lapse) expect(lapseCommands.has(n), `${n} is implemented`).toBe(true);
    }
    await p.exact('ACL', 'CAT', 'nosuch');                                      // exact
    await p.exact('ACL', 'CAT', 'x'.repeat(200));                               // exact: cut at 128
    await p.exact('ACL', 'CAT', 'read', 'x');                                   // exact
  });

  test('ACL GENPASS', async () => {
    const len = async (...args: string[]) => {
      const [a, b] = await p.both(['ACL', 'GENPASS', ...args]);
      const ra = decodeReply(a)!.reply;
      const rb = decodeReply(b)!.reply;
      if (ra.type === 'error') expect(show(b)).toBe(show(a));
      else {
        expect(str(rb)).toMatch(/^[0-9a-f]*$/);
        expect(str(rb).length, `length: ACL GENPASS ${args.join(' ')}`).toBe(str(ra).length);
      }
    };
    for (const bits of [[], ['1'], ['4'], ['5'], ['255'], ['256'], ['4096'], ['0'], ['-1'], ['4097'], ['x'], ['99999999999999999999'], ['1', '2']]) {
      await len(...bits);
    }
    const [x, y] = [str(decodeReply(await p.l.call('ACL', 'GENPASS'))!.reply), str(decodeReply(await p.l.call('ACL', 'GENPASS'))!.reply)];
    expect(x).not.toBe(y);
  });

  test('ACL DRYRUN', async () => {
    await p.exact('ACL', 'SETUSER', 'dr', 'on', '~k*', '+get', '+set', '&ch');  // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'GET', 'k1');                          // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'GET', 'x');                           // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'DEL', 'k1');                          // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'get');                                // exact: arity
    await p.exact('ACL', 'DRYRUN', 'dr', 'nosuch', 'x');                        // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'config', 'nosuch');                   // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'config');                             // exact: arity of the container
    await p.exact('ACL', 'DRYRUN', 'dr', 'config', 'get', 'x');                 // exact
    await p.exact('ACL', 'DRYRUN', 'nobody', 'get', 'x');                       // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'GET', 'x\0y');                        // exact: the key up to the NUL
    await p.exact('ACL', 'DRYRUN', 'dr');                                       // exact: arity
    await p.exact('ACL', 'DRYRUN', 'dr', 'AUTH', 'a', 'b');                     // exact: no_auth commands pass
    await p.exact('ACL', 'DRYRUN', 'dr', 'HELLO');                              // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'PING');                               // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'SET', 'k', 'v', 'GET');               // exact
    await p.exact('ACL', 'DRYRUN', 'dr', 'SET', 'x', 'v');                      // exact
    await p.exact('ACL', 'LOG');                                                // exact: DRYRUN logs nothing
  });

  test('ACL LOG', async () => {
    await p.exact('ACL', 'SETUSER', 'lg', 'on', '>pw', '~k', '+get', '&c', '+publish'); // exact
    const on = await as('lg');
    await p.exactOn(on, 'SET', 'k', 'v');                                       // exact
    await p.exactOn(on, 'SET', 'k', 'v');                                       // exact: grouped with the last
    await p.exactOn(on, 'GET', 'x');                                            // exact
    await p.exactOn(on, 'PUBLISH', 'd', 'm');                                   // exact
    await p.exactOn(on, 'AUTH', 'lg', 'bad');                                   // exact
    await p.exactOn(on, 'auth', 'lg', 'bad');                                   // exact: another entry (object differs)
    await p.exactOn(on, 'HELLO', '2', 'AUTH', 'nobody', 'x');                   // exact
    await p.exactOn(on, 'MULTI');                                               // exact: NOPERM, logged
    await logs('ACL', 'LOG');                                                   // log
    await logs('ACL', 'LOG', '2');                                              // log
    await logs('ACL', 'LOG', '0');                                              // log
    await logs('ACL', 'LOG', '-5');                                             // log
    await logs('ACL', 'LOG', '1000');                                           // log
    await p.exact('ACL', 'LOG', 'x');                                           // exact
    await p.exact('ACL', 'LOG', '1', '2');                                      // exact
    await p.exact('CONFIG', 'SET', 'acllog-max-len', '2');                      // exact
    await logs('ACL', 'LOG');                                                   // log: trimmed only when one is added
    await p.exactOn(on, 'GET', 'y');                                            // exact
    await logs('ACL', 'LOG');                                                   // log
    await p.exact('CONFIG', 'GET', 'acllog-max-len');                           // exact
    await p.exact('CONFIG', 'SET', 'acllog-max-len', '-1');                     // exact
    await p.exact('ACL', 'LOG', 'reset');                                       // exact
    await p.exact('ACL', 'LOG');                                                // exact: empty
    await exactExceptId([p.r, p.l], 'HELLO', '3');                              // exact but id: RESP3 from here
    await p.exactOn(on, 'GET', 'z');                                            // exact
    await logs('ACL', 'LOG');                                                   // log: RESP3 maps
  });

  test('ACL HELP and wrong arguments', async () => {
    await p.exact('ACL', 'HELP');                                               // exact
    await p.exact('ACL', 'help', 'x');                                          // exact
    await p.exact('ACL');                                                       // exact
    await p.exact('ACL', 'nosuch');                                             // exact
    await p.exact('ACL', 'GETUSER');                                            // exact
    await p.exact('ACL', 'GETUSER', 'a', 'b');                                  // exact
    await p.exact('ACL', 'SETUSER');                                            // exact
    await p.exact('ACL', 'DELUSER');                                            // exact
    await p.exact('ACL', 'LIST', 'x');                                          // exact
    await p.exact('ACL', 'USERS', 'x');                                         // exact
    await p.exact('ACL', 'WHOAMI', 'x');                                        // exact
    await p.exact('ACL', 'LOAD');                                               // exact: no ACL file
    await p.exact('ACL', 'SAVE');                                               // exact
    await p.exact('ACL', 'LOAD', 'x');                                          // exact
    await exactExceptId([p.r, p.l], 'HELLO', '3');                              // exact but id
    await p.exact('ACL', 'GETUSER', 'nobody');                                  // exact: RESP3 null
    await rules('ACL', 'GETUSER', 'admin');                                     // rules: RESP3 map and set
    await p.exact('ACL', 'WHOAMI');                                             // exact
  });
});

describe('users from the configuration', () => {
  test('user lines and --user: ACL LIST as Redis shows it', async () => {
    // The admin line above, through the configuration of both servers.
    await rules('ACL', 'LIST');                                                 // rules
    await p.exact('ACL', 'GETUSER', 'admin');                                   // exact
  });

  /** The reason redis-server gives for refusing to start with these arguments. */
  function redisRefusal(args: string[], marker: RegExp): string {
    // A port to listen on (with none, Redis stops before loading its users); it refuses
    // to start before binding it.
    const out = spawnSync('redis-server', ['--port', '1', '--save', '', ...args], { encoding: 'latin1', timeout: 5000 });
    const text = `${out.stdout}${out.stderr}`;
    const line = text.split('\n').find((l) => marker.test(l));
    if (line === undefined) throw new Error(`redis-server did not refuse: ${text}`);
    return line.replace(/^\d+:[CM] .*? [#*] /, '');
  }

  /** The reason lapse gives for the same configuration (its last line). */
  function lapseRefusal(args: string[]): string {
    try {
      createServer({ configText: argvToConfig(args).text, port: 0 });
    } catch (e) {
      return (e as Error).message.trim().split('\n').pop()!;
    }
    throw new Error('lapse did not refuse');
  }

  test('configuration errors, worded as Redis words them', () => {
    const cases: string[][] = [
      ['--user', 'alice', 'on', 'bogus'],
      ['--user', 'alice', 'bogus'],
      ['--user', 'alice', 'on', '>p', '%x~a'],
      ['--user', 'alice', 'on', '--user', 'alice', 'off'],
      ['--user', 'alice', '(~x'],
      ['--user', 'alice', 'on', '#abc'],
      ['--user', 'alice', 'allkeys', '~x'],
    ];
    for (const args of cases) {
      expect(lapseRefusal(args), args.join(' ')).toBe(redisRefusal(args, /Error in user declaration/));
    }
  });

  test('start-up errors, worded as Redis logs them', () => {
    const cases: string[][] = [
      ['--user', 'alice', 'on', '+nosuchcommand'],
      ['--user', 'a b', 'on'],
    ];
    for (const args of cases) {
      const redis = redisRefusal(args, /Error loading ACL rule|Spaces not allowed/);
      expect(() => createServer({ configText: argvToConfig(args).text, port: 0 }), args.join(' ')).toThrow(redis);
    }
  });
});

describe('the ACL file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-aclfile-'));
  // One file for both servers, so that messages naming it are the same.
  const file = path.join(dir, 'users.acl');
  fs.writeFileSync(file, 'user default on nopass ~* &* +@all\nuser admin on >admin-pw ~* &* +@all\nuser app on >pw ~sess:* +@read +@write -@dangerous\n');
  // Registered before pairSuite(): after-hooks run in reverse, so this runs after stop().
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = pairSuite({ lapse: { aclfile: file }, redis: ['--aclfile', file], reset: false });

  async function rulesF(...args: string[]): Promise<void> {
    const [a, b] = await f.both(args);
    expect(JSON.stringify(sortRules(b)), `rules: ${args.join(' ')}`).toBe(JSON.stringify(sortRules(a)));
  }

  test('loaded at start-up, saved, loaded again', async () => {
    await rulesF('ACL', 'LIST');                                                // rules: the file's users
    await f.exact('ACL', 'SETUSER', 'new', 'on', '>n', '~n:*', '+get', '(%R~x +@read)'); // exact
    await f.exact('ACL', 'SETUSER', 'default', '>defpw');                       // exact
    const saved: string[] = [];
    for (const c of [f.r, f.l]) {
      expect(show(await c.call('ACL', 'SAVE'))).toBe(show(Buffer.from('+OK\r\n')));
      saved.push(sortRules(fs.readFileSync(file)));
    }
    expect(saved[1], 'rules: the saved file').toBe(saved[0]);
    expect(fs.readdirSync(dir), 'no temporary file left').toEqual(['users.acl']);
    const users: Conn = [await RawClient.connect(f.redis.port), await RawClient.connect(f.lapsePort)];
    await f.exactOn(users, 'AUTH', 'app', 'pw');                                // exact
    const defaults: Conn = [await RawClient.connect(f.redis.port), await RawClient.connect(f.lapsePort)];
    await f.exactOn(defaults, 'AUTH', 'defpw');                                 // exact
    fs.writeFileSync(file, 'user app on >pw2 ~sess:* +@read\nuser admin on >admin-pw ~* &* +@all\n');
    await f.exact('ACL', 'LOAD');                                               // exact
    await rulesF('ACL', 'LIST');                                                // rules: the default user back to Redis's
    await users[0].waitClosed();                                                // every other user is a new one
    await users[1].waitClosed();
    await f.exactOn(defaults, 'ACL', 'WHOAMI');                                 // exact: default connections stay
    for (const c of [...users, ...defaults]) c.close();
  });

  test('a broken file changes nothing', async () => {
    const before = await f.both(['ACL', 'LIST']);
    const lines = [
      'user alice on >a ~x +get',
      'user  bob on',
      'user carol on bogus +nosuch +nosuch2 %x~y',
      'usr x',
      'user alice off',
      'user',
      'user a\tb',
      '',
      '   user dave on   ',
      'user eve on ~x allkeys ~y',
      'user fay on (~x +get)',
    ];
    fs.writeFileSync(file, lines.join('\n'));
    await f.exact('ACL', 'LOAD');                                               // exact: every error, then the warning
    const after = await f.both(['ACL', 'LIST']);
    expect(show(after[1])).toBe(show(before[1]));
    expect(show(after[0])).toBe(show(before[0]));
    // A selector left open: Redis 7.0 crashes (it goes on with rules it freed); lapse
    // reports the error Redis's code means to report, and changes nothing.
    fs.writeFileSync(file, 'user x on (~a +get) (%W~b +set\n');
    expect(show(await f.l.call('ACL', 'LOAD'))).toBe(
      show(Buffer.from(`-ERR ${file}:1: Unmatched parenthesis in selector definition.WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n`)),
    );
    fs.rmSync(file);
    await f.exact('ACL', 'LOAD');                                               // exact: no such file
    fs.writeFileSync(file, 'user admin on >admin-pw ~* &* +@all\n');
    await f.exact('ACL', 'LOAD');                                               // exact
    await f.exact('CONFIG', 'SET', 'aclfile', 'x');                             // exact: immutable
    await f.exact('CONFIG', 'GET', 'aclfile');                                  // exact
  });

  test('aclfile and user lines together are refused, as a missing file is', () => {
    const both = ['--aclfile', file, '--user', 'x', 'on'];
    const refusal = spawnSync('redis-server', ['--port', '1', '--save', '', ...both], { encoding: 'latin1', timeout: 5000 });
    const line = `${refusal.stdout}`.split('\n').find((l) => l.includes('Configuring Redis with users'))!;
    expect(() => createServer({ configText: argvToConfig(both).text, port: 0 })).toThrow(line.replace(/^\d+:[CM] .*? # /, ''));
    const missing = ['--aclfile', path.join(dir, 'none.acl')];
    const out = spawnSync('redis-server', ['--port', '1', '--save', '', ...missing], { encoding: 'latin1', timeout: 5000 });
    const reason = `${out.stdout}`.split('\n').find((l) => l.includes('Aborting Redis startup'))!;
    expect(() => createServer({ configText: argvToConfig(missing).text, port: 0 })).toThrow(reason.replace(/^\d+:[CM] .*? # /, ''));
  });
});
