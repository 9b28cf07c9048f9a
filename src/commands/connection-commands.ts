import type { Client } from './context.js';
import { cmd, container, type CommandDefinition } from './declare.js';
import {
  ERR_AUTH_NOT_CONFIGURED,
  ERR_CLIENT_NAME,
  ERR_DB_INDEX,
  ERR_INT_RANGE,
  ERR_INVALID_CLIENT_ID,
  ERR_NOAUTH_HELLO,
  ERR_NOPROTO,
  ERR_NOT_INTEGER,
  ERR_PROTOCOL_VERSION,
  ERR_SYNTAX,
  ERR_WRONGPASS,
  errClientAttribute,
  errHelloOption,
  errUnknownClientType,
  errUnrecognizedOption,
  errWrongArity,
} from './errors.js';
import { optionName } from './args.js';
import { clientInfoLine, isValidClientAttribute, runningArgvMemory } from './client-info-line.js';
import { CLIENT_ADMIN_SUBCOMMANDS } from './client-admin-commands.js';
import { TRACKING_SUBCOMMANDS } from './tracking-commands.js';
import { replyHelp, type HelpEntry } from './help.js';
import { discardTransaction } from './multi-state.js';
import { logAclDenied } from './acl-denials.js';
import { REDIS_COMPAT_VERSION } from '../version.js';
import { parseI64, parseIntArg } from '../util/numbers.js';

/** PING [message]: in RESP2 pub/sub mode, ["pong", message or ""] as a subscriber can read it. */
function ping(c: Client, argv: string[]): void {
  const r = c.reply;
  if (argv.length > 2) {
    r.error(errWrongArity('ping'));
    return;
  }
  if (c.subscriptions !== null && c.protocol === 2) {
    r.arrayHeader(2);
    r.bulk('pong');
    r.bulk(argv.length === 1 ? '' : argv[1]!);
  } else if (argv.length === 1) r.simple('PONG');
  else r.bulk(argv[1]!);
}

/** ECHO message */
function echo(c: Client, argv: string[]): void {
  c.reply.bulk(argv[1]!);
}

/** QUIT: answers OK, then closes the connection once the reply is written. */
function quit(c: Client): void {
  c.reply.simple('OK');
  c.closeAfterReply = true;
}

/**
 * RESET: the connection's state as a new connection's (Redis's
 * clearClientConnectionState): no transaction nor watched key, tracking off, database 0, RESP2, the
 * default user (authenticated only if it needs no password), no name. The library
 * name and version stay: they describe the client behind the connection.
 */
function reset(c: Client): void {
  // As Redis's clearClientConnectionState: a monitor stops monitoring, CLIENT REPLY OFF
  // ends (RESET's own reply is sent; a SKIP sent before RESET still drops it).
  if (c.isMonitor) {
    c.server.monitors.delete(c);
    c.isMonitor = false;
  }
  c.replyOff = false;
  c.replySkipNext = false;
  discardTransaction(c);
  c.server.tracking.disable(c);
  // Subscriptions end silently, as Redis's clearClientConnectionState.
  c.server.pubsub.removeClient(c);
  c.db = c.server.keyspace.dbs[0]!;
  c.protocol = 2;
  c.reply.protocol = 2;
  c.user = c.server.acl.defaultUser;
  c.authenticated = c.server.acl.defaultAuthenticates;
  c.name = '';
  c.reply.simple('RESET');
}

/** SELECT index */
function select(c: Client, argv: string[]): void {
  const index = parseIntArg(argv[1]!);
  if (Number.isNaN(index)) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (index < -2147483648 || index > 2147483647) {
    c.reply.error(ERR_INT_RANGE);
    return;
  }
  const db = c.server.keyspace.dbs[index];
  if (index < 0 || db === undefined) {
    c.reply.error(ERR_DB_INDEX);
    return;
  }
  c.db = db;
  c.reply.simple('OK');
}

/**
 * Authenticates the client as the user if the password opens it (ACLAuthenticateUser:
 * an enabled user, and any password for a nopass user, else one whose SHA-256 matches a
 * stored hash, compared in constant time). A failure is logged in the ACL log under the
 * command as the client typed it, and leaves the client as it was.
 */
function authenticate(c: Client, argv: readonly string[], username: string, password: string): boolean {
  const user = c.server.acl.authenticate(username, password);
  if (user === null) {
    logAclDenied(c, argv, 'auth', argv[0]!, username);
    return false;
  }
  c.authenticated = true;
  c.user = user;
  return true;
}

/** AUTH [username] password: one argument means the default user. */
function auth(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  let username = 'default';
  let password = argv[1]!;
  if (argv.length === 2) {
    // The one-argument form is an error when the default user takes no password.
    if (c.server.acl.defaultUser.nopass) {
      c.reply.error(ERR_AUTH_NOT_CONFIGURED);
      return;
    }
  } else {
    username = argv[1]!;
    password = argv[2]!;
  }
  if (authenticate(c, argv, username, password)) c.reply.simple('OK');
  else c.reply.error(ERR_WRONGPASS);
}

/** Sets the client's name (empty clears it); replies with the error and returns false if invalid. */
function setName(c: Client, name: string): boolean {
  if (!isValidClientAttribute(name)) {
    c.reply.error(ERR_CLIENT_NAME);
    return false;
  }
  c.name = name;
  return true;
}

/**
 * HELLO [protover [AUTH username password] [SETNAME clientname]]
 *
 * As Redis, options take effect one by one as they are read: an AUTH or SETNAME before
 * a bad option has already happened when the error is sent.
 */
function hello(c: Client, argv: string[]): void {
  const r = c.reply;
  let version: 0 | 2 | 3 = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseI64(argv[next++]!);
    if (v === undefined) {
      r.error(ERR_PROTOCOL_VERSION);
      return;
    }
    if (v !== 2 && v !== 3) {
      r.error(ERR_NOPROTO);
      return;
    }
    version = v;
  }
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = optionName(argv[j]!);
    if (option === 'auth' && more >= 2) {
      if (!authenticate(c, argv, argv[j + 1]!, argv[j + 2]!)) {
        r.error(ERR_WRONGPASS);
        return;
      }
      j += 2;
    } else if (option === 'setname' && more >= 1) {
      if (!setName(c, argv[j + 1]!)) return;
      j++;
    } else {
      r.error(errHelloOption(argv[j]!));
      return;
    }
  }
  if (!c.authenticated) {
    r.error(ERR_NOAUTH_HELLO);
    return;
  }
  if (version !== 0) {
    // The reply to HELLO itself is already in the new protocol.
    c.protocol = version;
    r.protocol = version;
  }
  r.mapHeader(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(REDIS_COMPAT_VERSION);
  r.bulk('proto');
  r.integer(c.protocol);
  r.bulk('id');
  r.integer(c.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk('master');
  r.bulk('modules');
  r.arrayHeader(0);
}

/** CLIENT ID */
function clientId(c: Client): void {
  c.reply.integer(c.id);
}

/** CLIENT SETNAME connection-name */
function clientSetname(c: Client, argv: string[]): void {
  if (setName(c, argv[2]!)) c.reply.simple('OK');
}

/** CLIENT GETNAME */
function clientGetname(c: Client): void {
  if (c.name === '') c.reply.nullBulk();
  else c.reply.bulk(c.name);
}

/** CLIENT SETINFO <LIB-NAME libname | LIB-VER libver> (Redis 7.2) */
function clientSetinfo(c: Client, argv: string[]): void {
  const attribute = argv[2]!;
  const value = argv[3]!;
  const option = optionName(attribute);
  if (option !== 'lib-name' && option !== 'lib-ver') {
    c.reply.error(errUnrecognizedOption(attribute));
    return;
  }
  if (!isValidClientAttribute(value)) {
    c.reply.error(errClientAttribute(attribute));
    return;
  }
  if (option === 'lib-name') c.libName = value;
  else c.libVersion = value;
  c.reply.simple('OK');
}

/** Redis's client types (getClientTypeByName). */
const CLIENT_TYPES: ReadonlySet<string> = new Set(['normal', 'slave', 'replica', 'pubsub', 'master']);

/** A client in pub/sub mode is a pubsub client (getClientType); the others are normal. */
function clientType(c: Client): string {
  return c.subscriptions !== null ? 'pubsub' : 'normal';
}

/** The type as CLIENT LIST TYPE compares it: replica and slave are one type. */
function canonicalType(type: string): string {
  return type === 'replica' ? 'slave' : type;
}

/** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID client-id [client-id ...]] */
function clientList(c: Client, argv: string[]): void {
  const server = c.server;
  const now = Date.now();
  const line = (other: Client) =>
    clientInfoLine(other, now, other === c ? runningArgvMemory(c, argv) : other.transport.pendingArgvLength()) + '\n';
  let text = '';
  if (argv.length === 4 && optionName(argv[2]!) === 'type') {
    const type = optionName(argv[3]!);
    if (!CLIENT_TYPES.has(type)) {
      c.reply.error(errUnknownClientType(argv[3]!));
      return;
    }
    for (const other of server.clients()) {
      if (canonicalType(clientType(other)) === canonicalType(type)) text += line(other);
    }
  } else if (argv.length > 3 && optionName(argv[2]!) === 'id') {
    const ids: number[] = [];
    for (let j = 3; j < argv.length; j++) {
      const id = parseI64(argv[j]!);
      if (id === undefined) {
        c.reply.error(ERR_INVALID_CLIENT_ID);
        return;
      }
      ids.push(Number(id));
    }
    const byId = new Map<number, Client>();
    for (const other of server.clients()) byId.set(other.id, other);
    for (const id of ids) {
      const other = byId.get(id);
      if (other !== undefined) text += line(other);
    }
  } else if (argv.length !== 2) {
    c.reply.error(ERR_SYNTAX);
    return;
  } else {
    for (const other of server.clients()) text += line(other);
  }
  c.reply.verbatim(text);
}

/** CLIENT INFO */
function clientInfo(c: Client, argv: string[]): void {
  c.reply.verbatim(clientInfoLine(c, Date.now(), runningArgvMemory(c, argv)) + '\n');
}

/** Redis 7.0's CLIENT HELP text, with Redis 7.2's SETINFO entry. */
const CLIENT_HELP: readonly HelpEntry[] = [
  ['caching', ['CACHING (YES|NO)', '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.']],
  ['getredir', ['GETREDIR', '    Return the client ID we are redirecting to when tracking is enabled.']],
  ['getname', ['GETNAME', '    Return the name of the current connection.']],
  ['id', ['ID', '    Return the ID of the current connection.']],
  ['info', ['INFO', '    Return information about the current client connection.']],
  ['kill', ['KILL <ip:port>', '    Kill connection made from <ip:port>.']],
  [
    'kill',
    [
      'KILL <option> <value> [<option> <value> [...]]',
      '    Kill connections. Options are:',
      '    * ADDR (<ip:port>|<unixsocket>:0)',
      '      Kill connections made from the specified address',
      '    * LADDR (<ip:port>|<unixsocket>:0)',
      '      Kill connections made to specified local address',
      '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
      '      Kill connections by type.',
      '    * USER <username>',
      '      Kill connections authenticated by <username>.',
      '    * SKIPME (YES|NO)',
      '      Skip killing current connection (default: yes).',
    ],
  ],
  [
    'list',
    [
      'LIST [options ...]',
      '    Return information about client connections. Options:',
      '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
      '      Return clients of specified type.',
    ],
  ],
  ['unpause', ['UNPAUSE', '    Stop the current client pause, resuming traffic.']],
  ['pause', ['PAUSE <timeout> [WRITE|ALL]', '    Suspend all, or just write, clients for <timeout> milliseconds.']],
  ['reply', ['REPLY (ON|OFF|SKIP)', '    Control the replies sent to the current connection.']],
  ['setname', ['SETNAME <name>', '    Assign the name <name> to the current connection.']],
  [
    'setinfo',
    [
      'SETINFO <option> <value>',
      '    Set client meta attr. Options are:',
      '    * LIB-NAME: the client lib name.',
      '    * LIB-VER: the client lib version.',
    ],
  ],
  ['unblock', ['UNBLOCK <clientid> [TIMEOUT|ERROR]', '    Unblock the specified blocked client.']],
  [
    'tracking',
    [
      'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
      '         [OPTIN] [OPTOUT] [NOLOOP]',
      '    Control server assisted client side caching.',
    ],
  ],
  ['trackinginfo', ['TRACKINGINFO', '    Report tracking status for the current connection.']],
  ['no-evict', ['NO-EVICT (ON|OFF)', '    Protect current client connection from eviction.']],
];

/** CLIENT HELP */
function clientHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, CLIENT_HELP);
}

export const CONNECTION_COMMANDS: CommandDefinition[] = [
  /** PING [message] */
  cmd('ping', -1, 'fast', { acl: 'connection', tips: 'request_policy:all_shards response_policy:all_succeeded' }, ping),
  /** ECHO message */
  cmd('echo', 2, 'loading stale fast', { acl: 'connection' }, echo),
  /** QUIT */
  cmd('quit', -1, 'noscript loading stale fast no_auth allow_busy', { acl: 'connection' }, quit),
  /** RESET */
  cmd('reset', 1, 'noscript loading stale fast no_auth allow_busy', { acl: 'connection' }, reset),
  /** SELECT index */
  cmd('select', 2, 'loading stale fast', { acl: 'connection' }, select),
  /** HELLO [protover [AUTH username password] [SETNAME clientname]] */
  cmd('hello', -1, 'noscript loading stale fast no_auth allow_busy', { acl: 'connection' }, hello),
  /** AUTH [username] password */
  cmd('auth', -2, 'noscript loading stale fast no_auth allow_busy', { acl: 'connection' }, auth),
  /** CLIENT */
  container('client', -2, [
    /** CLIENT ID */
    cmd('id', 2, 'noscript loading stale', { acl: 'connection' }, clientId),
    /** CLIENT SETNAME connection-name */
    cmd('setname', 3, 'noscript loading stale', { acl: 'connection' }, clientSetname),
    /** CLIENT GETNAME */
    cmd('getname', 2, 'noscript loading stale', { acl: 'connection' }, clientGetname),
    /** CLIENT SETINFO <lib-name libname | lib-ver libver> */
    /*
     * New in Redis 7.2.0: https://redis.io/commands/client-setinfo/ ("CLIENT SETINFO
     * <LIB-NAME libname | LIB-VER libver>", O(1), @slow @connection) and its command JSON in
     * Redis 7.2 (src/commands/client-setinfo.json: arity 4, flags NOSCRIPT LOADING STALE
     * SENTINEL, ACL category CONNECTION, one oneof argument "attr"), as Redis 7.0 renders
     * such a JSON: SENTINEL is not a reported flag, and a command not marked FAST gets @slow.
     */
    cmd('setinfo', 4, 'noscript loading stale', {
      acl: 'connection',
      doc: {
        summary: 'Sets information specific to the client or connection.',
        since: '7.2.0',
        group: 'connection',
        complexity: 'O(1)',
        arguments: [
          {
            name: 'attr',
            type: 'oneof',
            value: [
              { name: 'libname', type: 'string', token: 'lib-name' },
              { name: 'libver', type: 'string', token: 'lib-ver' },
            ],
          },
        ],
      },
    }, clientSetinfo),
    /** CLIENT LIST [TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]] */
    cmd('list', -2, 'admin noscript loading stale', { acl: 'connection', tips: 'nondeterministic_output' }, clientList),
    /** CLIENT INFO */
    cmd('info', 2, 'noscript loading stale', { acl: 'connection', tips: 'nondeterministic_output' }, clientInfo),
    /** CLIENT HELP */
    cmd('help', 2, 'loading stale', { acl: 'connection' }, clientHelp),
    // KILL, UNBLOCK, PAUSE, UNPAUSE, REPLY, NO-EVICT (client-admin-commands.ts).
    ...CLIENT_ADMIN_SUBCOMMANDS,
    // TRACKING, CACHING, GETREDIR, TRACKINGINFO (tracking-commands.ts).
    ...TRACKING_SUBCOMMANDS,
  ]),
];
