import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand, type Reply } from '../helpers/resp.js';

/**
 * requirepass and authentication against Redis 7.0: NOAUTH for every command lapse
 * implements (with the arguments it takes, so that only authentication can refuse it),
 * the commands that run before authenticating, pipelines that authenticate midway,
 * the protocol limits of unauthenticated clients, and a default user whose password
 * comes from ACL rules instead of requirepass.
 */

const locked = pairSuite({ lapse: { requirepass: 'pw' }, redis: ['--requirepass', 'pw'], reset: false });
/** The password set by an ACL rule in the configuration, not by requirepass. */
const byRule = pairSuite({
  lapse: { user: 'default on >rulepw ~* &* +@all' },
  redis: ['--user', 'default', 'on', '>rulepw', '~*', '&*', '+@all'],
  reset: false,
});

type Conn = [RawClient, RawClient];

/** Full names of the commands and subcommands of a server. */
async function commandList(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  await c.call('AUTH', 'pw');
  const r = decodeReply(await c.call('COMMAND', 'LIST'))!.reply as { value: Reply[] };
  c.close();
  return r.value.map((x) => (x as { value: Buffer }).value.toString('latin1')).sort();
}

/** Every command lapse implements that Redis 7.0 has (the others are compared elsewhere). */
async function lapseCommands(): Promise<string[]> {
  const redis = new Set(await commandList(locked.redis.port));
  return (await commandList(locked.lapsePort)).filter((n) => redis.has(n));
}

/** The arity of a command, from lapse's COMMAND INFO. */
async function arityOf(c: RawClient, fullName: string): Promise<number> {
  const r = decodeReply(await c.call('COMMAND', 'INFO', fullName))!.reply as { value: Reply[] };
  const info = r.value[0] as { value: Reply[] };
  return Number((info.value[1] as { value: bigint }).value);
}

describe('requirepass', () => {
  test('NOAUTH for every command that needs authentication', async () => {
    const admin = await RawClient.connect(locked.lapsePort);
    await admin.call('AUTH', 'pw');
    const on = await locked.connect();
    let compared = 0;
    for (const name of await lapseCommands()) {
      const [container, sub] = name.split('|');
      // The commands that may run unauthenticated are compared below, one by one.
      if (['auth', 'hello', 'quit', 'reset'].includes(container!)) continue;
      const arity = await arityOf(admin, name);
      const argv = sub === undefined ? [container!] : [container!, sub];
      while (argv.length < Math.abs(arity)) argv.push('x');
      await locked.exactOn(on, ...argv);                                        // exact: NOAUTH
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
    // lapse's commands of later Redis versions (Redis 7.0 does not know them): NOAUTH too.
    const redis = new Set(await commandList(locked.redis.port));
    for (const name of (await commandList(locked.lapsePort)).filter((n) => !redis.has(n))) {
      const arity = await arityOf(admin, name);
      const argv = name.split('|');
      while (argv.length < Math.abs(arity)) argv.push('x');
      expect(show(await on[1].call(...argv)), name).toBe(show(Buffer.from('-NOAUTH Authentication required.\r\n')));
    }
    // Errors that come before authentication.
    await locked.exactOn(on, 'NOSUCH');                                         // exact: unknown command
    await locked.exactOn(on, 'CONFIG', 'NOSUCH');                               // exact: unknown subcommand
    await locked.exactOn(on, 'GET');                                            // exact: arity
    await locked.exactOn(on, 'CONFIG');                                         // exact: arity
    await locked.exactOn(on, 'MULTI');                                          // exact: NOAUTH
    await locked.exactOn(on, 'EXEC');                                           // exact: EXECABORT with NOAUTH
    admin.close();
  });

  test('the commands that run before authenticating', async () => {
    const on = await locked.connect();
    await locked.exactOn(on, 'AUTH', 'no');                                     // exact: WRONGPASS
    await locked.exactOn(on, 'AUTH', 'default', 'no');                          // exact
    await locked.exactOn(on, 'AUTH', 'a', 'b', 'c');                            // exact: syntax error
    await locked.exactOn(on, 'HELLO');                                          // exact: HELLO's NOAUTH
    await locked.exactOn(on, 'HELLO', '3');                                     // exact
    await locked.exactOn(on, 'HELLO', '4');                                     // exact: NOPROTO first
    await locked.exactOn(on, 'HELLO', '3', 'AUTH', 'default', 'no');            // exact: WRONGPASS
    await locked.exactOn(on, 'RESET');                                          // exact
    await locked.exactOn(on, 'PING');                                           // exact: still NOAUTH
    await locked.exactOn(on, 'QUIT');                                           // exact: OK
    await on[0].waitClosed();
    await on[1].waitClosed();
  });

  test('a pipeline that authenticates midway', async () => {
    const on = await locked.connect();
    const batch = Buffer.concat(
      [['GET', 'k'], ['AUTH', 'bad'], ['SET', 'k', 'v'], ['AUTH', 'pw'], ['SET', 'k', 'v'], ['GET', 'k'], ['DEL', 'k']].map((c) => encodeCommand(c)),
    );
    for (const c of on) c.write(batch);
    for (let i = 0; i < 7; i++) {
      const a = await on[0].readReplyBytes();
      const b = await on[1].readReplyBytes();
      expect(show(b), `exact: reply ${i + 1}`).toBe(show(a));
    }
  });

  test('unauthenticated clients have smaller protocol limits, until they authenticate', async () => {
    const compare = async (bytes: string, authenticate: boolean) => {
      const on = await locked.connect();
      if (authenticate) await locked.exactOn(on, 'AUTH', 'pw');               // exact
      for (const c of on) c.write(bytes);
      const a = await on[0].readReplyBytes();
      const b = await on[1].readReplyBytes();
      expect(show(b), `exact: ${bytes.slice(0, 30)}`).toBe(show(a));
      return on;
    };
    await compare('*11\r\n', false);                                            // exact: unauthenticated multibulk length
    await compare('*1\r\n$16385\r\n', false);                                   // exact: unauthenticated bulk length
    await compare(`*2\r\n$4\r\nECHO\r\n$16385\r\n${'x'.repeat(16385)}\r\n`, true); // exact: fine once authenticated
    await compare(`*11\r\n${'$4\r\nECHO\r\n'}${'$1\r\nx\r\n'.repeat(10)}`, true); // exact: wrong arity, not a protocol error
  });

  test('CONFIG GET requirepass, and the default user it makes', async () => {
    const on = await locked.connect();
    await locked.exactOn(on, 'AUTH', 'pw');                                     // exact
    await locked.exactOn(on, 'CONFIG', 'GET', 'requirepass');                   // exact
    await locked.exactOn(on, 'ACL', 'GETUSER', 'default');                      // exact
    await locked.exactOn(on, 'ACL', 'LIST');                                    // exact
  });
});

describe('a default user with a password from ACL rules', () => {
  test('behaves as requirepass does, and CONFIG GET requirepass is empty', async () => {
    const on = await byRule.connect();
    await byRule.exactOn(on, 'PING');                                           // exact: NOAUTH
    await byRule.exactOn(on, 'AUTH', 'rulepw');                                 // exact
    await byRule.exactOn(on, 'CONFIG', 'GET', 'requirepass');                   // exact: ''
    await byRule.exactOn(on, 'ACL', 'LIST');                                    // exact
    const other: Conn = await byRule.connect();
    await byRule.exactOn(other, 'HELLO', '2', 'AUTH', 'default', 'wrong');      // exact
    await byRule.exactOn(other, 'AUTH', 'default', 'rulepw');                   // exact
    await byRule.exactOn(other, 'ACL', 'WHOAMI');                               // exact
  });
});
