import crypto from 'node:crypto';
import type { Client } from './context.js';
import { cmd, container, type CommandDefinition } from './declare.js';
import {
  ERR_ACL_DELETE_DEFAULT,
  ERR_ACL_GENPASS,
  ERR_ACL_NO_FILE,
  ERR_ACL_USERNAME,
  ERR_NOT_INTEGER,
  aclDryrunChannelDenied,
  aclDryrunCommandDenied,
  aclDryrunKeyDenied,
  errAclDryrunCommand,
  errAclDryrunUser,
  errAclUnknownCategory,
  errSubcommandSyntax,
  errWrongArity,
  errAclLoad,
} from './errors.js';
import { optionName } from './args.js';
import { replyHelp, type HelpEntry } from './help.js';
import { ACL_CATEGORIES, categoryBit, type AclCommand } from '../acl/command-index.js';
import {
  ACL_DENIED_CHANNEL,
  ACL_DENIED_CMD,
  ACL_DENIED_KEY,
  type Selector,
  type User,
  channelAllowed,
  hasSpaces,
} from '../acl/user.js';
import { parseIntArg } from '../util/numbers.js';
import { cString } from '../util/c-string.js';

/**
 * The ACL command (Redis 7.0's aclCommand), and what a change of users means for
 * connected clients. Refusals and their ACL log entries are in acl-denials.ts.
 */

/**
 * Clients authenticated as a deleted or replaced user are closed (ACLFreeUserAndKillClients);
 * the client running the command gets its reply first.
 */
function closeClientsOf(c: Client, users: ReadonlySet<User>): void {
  const victims: Client[] = [];
  for (const other of c.server.clients()) if (users.has(other.user)) victims.push(other);
  const defaultUser = c.server.acl.defaultUser;
  for (const other of victims) {
    other.user = defaultUser;
    other.authenticated = false;
    if (other === c) c.closeAfterReply = true;
    else other.transport.close();
  }
}

/**
 * Pub/sub clients of a user whose channel permissions shrink are closed if one of their
 * subscriptions is no longer allowed (ACLKillPubsubClientsIfNeeded).
 */
function closePubsubClientsIfNeeded(c: Client, staged: User, original: User): void {
  if (staged.selectors.some((s) => s.allChannels)) return;
  const upcoming = staged.selectors.flatMap((s) => s.channels);
  const kept = original.selectors.every((s: Selector) => s.channels.every((ch) => upcoming.includes(ch)));
  if (kept) return;
  const victims: Client[] = [];
  for (const other of c.server.clients()) {
    const subs = other.subscriptions;
    if (other.user !== original || subs === null) continue;
    let kill = false;
    for (const p of subs.patterns) if (!channelAllowed(upcoming, p, true)) kill = true;
    for (const ch of subs.channels) if (!channelAllowed(upcoming, ch, false)) kill = true;
    for (const ch of subs.shardChannels) if (!channelAllowed(upcoming, ch, false)) kill = true;
    if (kill) victims.push(other);
  }
  for (const other of victims) {
    if (other === c) c.closeAfterReply = true;
    else other.transport.close();
  }
}

/** ACL SETUSER username [rule [rule ...]]: all rules apply, or none. */
function aclSetuser(c: Client, argv: string[]): void {
  const name = argv[2]!;
  if (hasSpaces(name)) {
    c.reply.error(ERR_ACL_USERNAME);
    return;
  }
  const acl = c.server.acl;
  const staged = acl.stageUser(name, argv.slice(3));
  if (typeof staged === 'string') {
    c.reply.error(staged);
    return;
  }
  const existing = acl.getUser(name);
  if (existing !== undefined) closePubsubClientsIfNeeded(c, staged, existing);
  acl.commitUser(staged);
  c.reply.simple('OK');
}

/** ACL DELUSER username [username ...]: the number deleted; clients of a deleted user are closed. */
function aclDeluser(c: Client, argv: string[]): void {
  for (let j = 2; j < argv.length; j++) {
    if (cString(argv[j]!) === 'default') {
      c.reply.error(ERR_ACL_DELETE_DEFAULT);
      return;
    }
  }
  const deleted = new Set<User>();
  for (let j = 2; j < argv.length; j++) {
    const u = c.server.acl.deleteUser(argv[j]!);
    if (u !== undefined) deleted.add(u);
  }
  closeClientsOf(c, deleted);
  c.reply.integer(deleted.size);
}

/** ACL GETUSER username: flags, password hashes, the root selector's rules, other selectors. */
function aclGetuser(c: Client, argv: string[]): void {
  const u = c.server.acl.getUser(argv[2]!);
  const r = c.reply;
  if (u === undefined) {
    r.nullBulk();
    return;
  }
  r.mapHeader(6);
  r.bulk('flags');
  const flags = u.flagNames();
  r.setHeader(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('passwords');
  r.bulkArray(u.passwords);
  replySelector(c, u.root);
  r.bulk('selectors');
  r.arrayHeader(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    r.mapHeader(3);
    replySelector(c, s);
  }
}

function replySelector(c: Client, s: Selector): void {
  const r = c.reply;
  r.bulk('commands');
  r.bulk(s.describeCommands());
  r.bulk('keys');
  r.bulk(s.describeKeys());
  r.bulk('channels');
  r.bulk(s.describeChannels());
}

/** ACL LIST: every user as a configuration line. */
function aclList(c: Client): void {
  const users = c.server.acl.allUsers();
  c.reply.arrayHeader(users.length);
  for (const u of users) c.reply.bulk(`user ${u.name} ${u.describe()}`);
}

/** ACL USERS */
function aclUsers(c: Client): void {
  c.reply.bulkArray(c.server.acl.allUsers().map((u) => u.name));
}

/** ACL WHOAMI */
function aclWhoami(c: Client): void {
  c.reply.bulk(c.user.name);
}

/**
 * ACL CAT [category]: the categories, or the commands lapse implements in one (Redis
 * lists its whole table; a rule may name the others, but they cannot run here).
 */
function aclCat(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    c.reply.bulkArray(ACL_CATEGORIES);
    return;
  }
  if (argv.length !== 3) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  const bit = categoryBit(argv[2]!);
  if (bit === 0) {
    c.reply.error(errAclUnknownCategory(argv[2]!));
    return;
  }
  const names: string[] = [];
  const visit = (cmd: AclCommand) => {
    if (cmd.spec !== undefined && cmd.categories & bit) names.push(cmd.fullName);
  };
  for (const cmd of c.server.acl.index.topLevel) {
    visit(cmd);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) visit(sub);
  }
  c.reply.bulkArray(names);
}

/** ACL GENPASS [bits]: random hex, 256 bits unless told (up to 4096). */
function aclGenpass(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  let bits = 256;
  if (argv.length === 3) {
    bits = parseIntArg(argv[2]!);
    if (Number.isNaN(bits)) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
  }
  if (bits <= 0 || bits > 4096) {
    c.reply.error(ERR_ACL_GENPASS);
    return;
  }
  const chars = Math.floor((bits + 3) / 4);
  c.reply.bulk(crypto.randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

/** ACL LOG [count | RESET]: the newest entries first (10 unless told). */
function aclLog(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  const log = c.server.acl.log;
  let count = 10;
  if (argv.length === 3) {
    if (optionName(argv[2]!) === 'reset') {
      log.reset();
      c.reply.simple('OK');
      return;
    }
    const v = parseIntArg(argv[2]!);
    if (Number.isNaN(v)) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    count = Math.max(0, v);
  }
  const entries = log.entries.slice(0, count);
  const r = c.reply;
  const now = Date.now();
  r.arrayHeader(entries.length);
  for (const e of entries) {
    r.mapHeader(7);
    r.bulk('count');
    r.integer(e.count);
    r.bulk('reason');
    r.bulk(e.reason);
    r.bulk('context');
    r.bulk(e.context);
    r.bulk('object');
    r.bulk(e.object);
    r.bulk('username');
    r.bulk(e.username);
    r.bulk('age-seconds');
    r.double((now - e.time) / 1000);
    r.bulk('client-info');
    r.bulk(e.clientInfo);
  }
}

/** ACL DRYRUN username command [arg ...]: OK, or why the user could not run it (a bulk string). */
function aclDryrun(c: Client, argv: string[]): void {
  const u = c.server.acl.getUser(argv[2]!);
  if (u === undefined) {
    c.reply.error(errAclDryrunUser(argv[2]!));
    return;
  }
  const target = argv.slice(3);
  const cmd = c.server.commands.lookupArgv(target);
  if (cmd === undefined) {
    c.reply.error(errAclDryrunCommand(argv[3]!));
    return;
  }
  if (cmd.arity > 0 ? cmd.arity !== target.length : target.length < -cmd.arity) {
    c.reply.error(errWrongArity(cmd.fullName));
    return;
  }
  const result = u.check(cmd, target);
  if (result === ACL_DENIED_KEY) c.reply.bulk(aclDryrunKeyDenied(target[c.server.acl.deniedIndex]!));
  else if (result === ACL_DENIED_CHANNEL) c.reply.bulk(aclDryrunChannelDenied(target[c.server.acl.deniedIndex]!));
  else if (result === ACL_DENIED_CMD) c.reply.bulk(aclDryrunCommandDenied(cmd.fullName));
  else c.reply.simple('OK');
}

/** ACL LOAD: the users of the ACL file replace every user, or nothing changes. */
function aclLoad(c: Client): void {
  const path = c.server.config.string('aclfile');
  if (path === '') {
    c.reply.error(ERR_ACL_NO_FILE);
    return;
  }
  const replaced: User[] = [];
  const errors = c.server.acl.loadFile(path, c.server.config.string('dir'), replaced);
  if (errors !== null) {
    c.reply.error(errAclLoad(errors));
    return;
  }
  closeClientsOf(c, new Set(replaced));
  c.reply.simple('OK');
}

/** ACL SAVE: every user to the ACL file. */
function aclSave(c: Client): void {
  const path = c.server.config.string('aclfile');
  if (path === '') {
    c.reply.error(ERR_ACL_NO_FILE);
    return;
  }
  const error = c.server.acl.saveFile(path, c.server.config.string('dir'));
  if (error === null) c.reply.simple('OK');
  else c.reply.error(error);
}

/** Redis 7.0's ACL HELP text. */
const ACL_HELP: readonly HelpEntry[] = [
  [
    'cat',
    [
      'CAT [<category>]',
      '    List all commands that belong to <category>, or all command categories',
      '    when no category is specified.',
    ],
  ],
  ['deluser', ['DELUSER <username> [<username> ...]', '    Delete a list of users.']],
  [
    'dryrun',
    [
      'DRYRUN <username> <command> [<arg> ...]',
      '    Returns whether the user can execute the given command without executing the command.',
    ],
  ],
  ['getuser', ['GETUSER <username>', "    Get the user's details."]],
  [
    'genpass',
    [
      'GENPASS [<bits>]',
      '    Generate a secure 256-bit user password. The optional `bits` argument can',
      '    be used to specify a different size.',
    ],
  ],
  ['list', ['LIST', '    Show users details in config file format.']],
  ['load', ['LOAD', '    Reload users from the ACL file.']],
  ['log', ['LOG [<count> | RESET]', '    Show the ACL log entries.']],
  ['save', ['SAVE', '    Save the current config to the ACL file.']],
  ['setuser', ['SETUSER <username> <attribute> [<attribute> ...]', '    Create or modify a user with the specified attributes.']],
  ['users', ['USERS', '    List all the registered usernames.']],
  ['whoami', ['WHOAMI', '    Return the current connection username.']],
];

/** ACL HELP */
function aclHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, ACL_HELP);
}


export const ACL_COMMANDS: CommandDefinition[] = [
  /** ACL */
  container('acl', -2, [
    /** ACL CAT [categoryname] */
    cmd('cat', -2, 'noscript loading stale', aclCat),
    /** ACL DELUSER username [username ...] */
    cmd('deluser', -3, 'admin noscript loading stale', aclDeluser),
    /** ACL DRYRUN username command [arg [arg ...]] */
    cmd('dryrun', -4, 'admin noscript loading stale', aclDryrun),
    /** ACL GENPASS [bits] */
    cmd('genpass', -2, 'noscript loading stale', aclGenpass),
    /** ACL GETUSER username */
    cmd('getuser', 3, 'admin noscript loading stale', aclGetuser),
    /** ACL HELP */
    cmd('help', 2, 'loading stale', aclHelp),
    /** ACL LIST */
    cmd('list', 2, 'admin noscript loading stale', aclList),
    /** ACL LOAD */
    cmd('load', 2, 'admin noscript loading stale', aclLoad),
    /** ACL LOG [count | RESET] */
    cmd('log', -2, 'admin noscript loading stale', aclLog),
    /** ACL SAVE */
    cmd('save', 2, 'admin noscript loading stale', aclSave),
    /** ACL SETUSER username [rule [rule ...]] */
    cmd('setuser', -3, 'admin noscript loading stale', aclSetuser),
    /** ACL USERS */
    cmd('users', 2, 'admin noscript loading stale', aclUsers),
    /** ACL WHOAMI */
    cmd('whoami', 2, 'noscript loading stale', aclWhoami),
  ]),
];
