import fs from 'node:fs';
import nodePath from 'node:path';
import { busyError, busyRun } from './script-busy.js';
import { rewriteConfigText } from '../config/rewrite.js';
import { strerror } from '../util/strerror.js';
import type { Client, ShutdownOptions } from './context.js';
import { cmd, container, type CommandDefinition } from './declare.js';
import type { CommandSpec } from './table.js';
import {
  ERR_NO_CONFIG_FILE,
  errRewritingConfig,
  ERR_INVALID_ARGUMENT_COUNT,
  ERR_INVALID_ARGUMENTS,
  ERR_INVALID_COMMAND,
  ERR_NO_KEY_ARGUMENTS,
  ERR_NO_SHUTDOWN,
  ERR_SYNTAX,
  errConfigSetFailed,
  errConfigSetUnknown,
} from './errors.js';
import { optionName } from './args.js';
import { replyCommandDocs, replyCommandInfo } from './command-docs.js';
import { KeyRefs, keyFlagNames } from '../acl/key-specs.js';
import { replyHelp, type HelpEntry } from './help.js';
import { infoText } from './info-sections.js';
import { globMatch } from '../util/glob.js';

/** INFO [section [section ...]] */
function info(c: Client, argv: string[]): void {
  c.reply.verbatim(infoText(c.server, argv.slice(1)));
}

/** TIME: the server's clock as [seconds, microseconds], both bulk strings. */
function time(c: Client): void {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const seconds = Math.floor(micros / 1e6);
  c.reply.arrayHeader(2);
  c.reply.bulk(String(seconds));
  c.reply.bulk(String(micros - seconds * 1e6));
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
 *
 * lapse never waits for replicas and has no shutdown in progress to abort; on success
 * the connection closes with no reply, as in Redis.
 */
function shutdown(c: Client, argv: string[]): void {
  const options: ShutdownOptions = {};
  for (let i = 1; i < argv.length; i++) {
    const opt = optionName(argv[i]!);
    if (opt === 'nosave') options.noSave = true;
    else if (opt === 'save') options.save = true;
    else if (opt === 'now') options.now = true;
    else if (opt === 'force') options.force = true;
    else if (opt === 'abort') options.abort = true;
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const flagged = options.noSave || options.save || options.now || options.force;
  if ((options.abort && flagged) || (options.noSave && options.save)) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (options.abort) {
    c.reply.error(ERR_NO_SHUTDOWN);
    return;
  }
  // While a script is timed out only SHUTDOWN NOSAVE may stop the server (its writes
  // would otherwise be saved half done).
  const busy = busyRun(c.server);
  if (!options.noSave && busy !== null) {
    c.reply.error(busyError(busy));
    return;
  }
  const error = c.server.shutdown(options);
  if (error !== null) c.reply.error(error);
}

/** CONFIG GET parameter [parameter ...]: a map of the matching parameters. */
function configGet(c: Client, argv: string[]): void {
  const pairs = c.server.config.matching(argv.slice(2));
  const r = c.reply;
  r.mapHeader(pairs.length);
  for (const [name, value] of pairs) {
    r.bulk(name);
    r.bulk(value);
  }
}

/** CONFIG SET parameter value [parameter value ...]: all or nothing. */
function configSet(c: Client, argv: string[]): void {
  if (argv.length % 2 !== 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i]!, argv[i + 1]!]);
  const error = c.server.config.setMany(pairs, isLocalClient(c));
  if (error === null) c.reply.simple('OK');
  else if ('unknown' in error) c.reply.error(errConfigSetUnknown(error.unknown));
  else c.reply.error(errConfigSetFailed(error.name, error.reason));
}

/** Redis's islocalClient: connected from 127.0.0.1 or ::1 (for enable-protected-configs local). */
function isLocalClient(c: Client): boolean {
  const addr = c.transport.remoteAddress;
  return addr.startsWith('127.0.0.1:') || addr.startsWith('[::1]:');
}

/**
 * CONFIG REWRITE: the configuration file written back with the current values (see
 * config/rewrite.ts), to a temporary file then renamed over it.
 */
function configRewrite(c: Client): void {
  const server = c.server;
  const file = server.info.configFile;
  if (file === '') {
    c.reply.error(ERR_NO_CONFIG_FILE);
    return;
  }
  const target = nodePath.resolve(file);
  try {
    let old = '';
    try {
      old = fs.readFileSync(target, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const users = server.config.string('aclfile') === '' ? server.acl.allUsers().map((u) => `${u.name} ${u.describe()}`) : null;
    const text = rewriteConfigText(old, server.config, { users, cwd: nodePath.resolve(server.config.string('dir')) });
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    fs.writeFileSync(tmp, text, { encoding: 'latin1', mode: 0o644 });
    fs.renameSync(tmp, target);
  } catch (e) {
    const reason = strerror((e as NodeJS.ErrnoException).code) ?? (e as Error).message;
    server.log('warning', `CONFIG REWRITE failed: ${reason}`);
    c.reply.error(errRewritingConfig(reason));
    return;
  }
  server.log('notice', 'CONFIG REWRITE executed with success.');
  c.reply.simple('OK');
}

/** CONFIG RESETSTAT */
function configResetstat(c: Client): void {
  c.server.resetStats();
  c.reply.simple('OK');
}

const CONFIG_HELP: readonly HelpEntry[] = [
  ['get', ['GET <pattern>', '    Return parameters matching the glob-like <pattern> and their values.']],
  ['set', ['SET <directive> <value>', '    Set the configuration <directive> to <value>.']],
  ['resetstat', ['RESETSTAT', '    Reset statistics reported by the INFO command.']],
  ['rewrite', ['REWRITE', '    Rewrite the configuration file.']],
];

/** CONFIG HELP */
function configHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, CONFIG_HELP);
}

/** COMMAND: COMMAND INFO of every command. */
function command(c: Client): void {
  const all = c.server.commands.commands();
  c.reply.arrayHeader(all.length);
  for (const cmd of all) replyCommandInfo(c.reply, cmd);
}

/** COMMAND COUNT */
function commandCount(c: Client): void {
  c.reply.integer(c.server.commands.size);
}

/** COMMAND INFO [command-name ...]: null for a name that is not a command. */
function commandInfo(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    command(c);
    return;
  }
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const cmd = c.server.commands.lookupFullName(argv[i]!);
    if (cmd === undefined) c.reply.nullBulk();
    else replyCommandInfo(c.reply, cmd);
  }
}

/** COMMAND DOCS [command-name ...]: a map by full name; unknown names are left out. */
function commandDocs(c: Client, argv: string[]): void {
  const table = c.server.commands;
  let found: CommandSpec[];
  if (argv.length === 2) {
    found = [...table.commands()];
  } else {
    found = [];
    for (let i = 2; i < argv.length; i++) {
      const cmd = table.lookupFullName(argv[i]!);
      if (cmd !== undefined) found.push(cmd);
    }
  }
  c.reply.mapHeader(found.length);
  for (const cmd of found) {
    c.reply.bulk(cmd.fullName);
    replyCommandDocs(c.reply, cmd);
  }
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
function commandList(c: Client, argv: string[]): void {
  let keep: (cmd: CommandSpec) => boolean = () => true;
  if (argv.length === 5 && optionName(argv[2]!) === 'filterby') {
    const kind = optionName(argv[3]!);
    const arg = argv[4]!;
    if (kind === 'module') {
      keep = () => false;
    } else if (kind === 'aclcat') {
      const category = `@${optionName(arg)}`;
      keep = (cmd) => cmd.aclCategories.includes(category);
    } else if (kind === 'pattern') {
      keep = (cmd) => globMatch(arg, cmd.fullName, true);
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  } else if (argv.length !== 2) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const names: string[] = [];
  for (const cmd of c.server.commands.commands()) {
    if (keep(cmd)) names.push(cmd.fullName);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) if (keep(sub)) names.push(sub.fullName);
  }
  c.reply.bulkArray(names);
}

/** COMMAND GETKEYS command [arg ...]: the keys a full command would touch. */
function commandGetkeys(c: Client, argv: string[]): void {
  getkeysGeneric(c, argv, false);
}

/** COMMAND GETKEYSANDFLAGS command [arg ...]: each key with its key spec's flags. */
function commandGetkeysandflags(c: Client, argv: string[]): void {
  getkeysGeneric(c, argv, true);
}

/** Redis's getKeysSubcommandImpl. */
function getkeysGeneric(c: Client, argv: string[], withFlags: boolean): void {
  const target = argv.slice(2);
  const cmd = c.server.commands.lookupArgv(target);
  if (cmd === undefined) {
    c.reply.error(ERR_INVALID_COMMAND);
    return;
  }
  if (!c.server.acl.keyFinder.hasKeys(cmd)) {
    c.reply.error(ERR_NO_KEY_ARGUMENTS);
    return;
  }
  if (cmd.arity > 0 ? cmd.arity !== target.length : target.length < -cmd.arity) {
    c.reply.error(ERR_INVALID_ARGUMENT_COUNT);
    return;
  }
  const keys = new KeyRefs(); // COMMAND GETKEYS is rare: no reused scratch
  c.server.acl.keyFinder.find(cmd, target, keys);
  if (keys.count === 0) {
    if (cmd.flags.has('no_mandatory_keys')) c.reply.arrayHeader(0);
    else c.reply.error(ERR_INVALID_ARGUMENTS);
    return;
  }
  c.reply.arrayHeader(keys.count);
  for (let i = 0; i < keys.count; i++) {
    if (withFlags) {
      c.reply.arrayHeader(2);
      c.reply.bulk(target[keys.positions[i]!]!);
      const names = keyFlagNames(keys.flags[i]!);
      c.reply.setHeader(names.length);
      for (const name of names) c.reply.simple(name);
    } else {
      c.reply.bulk(target[keys.positions[i]!]!);
    }
  }
}

const COMMAND_HELP: readonly HelpEntry[] = [
  ['', ['(no subcommand)', '    Return details about all Redis commands.']],
  ['count', ['COUNT', '    Return the total number of commands in this Redis server.']],
  ['list', ['LIST', '    Return a list of all commands in this Redis server.']],
  [
    'info',
    [
      'INFO [<command-name> ...]',
      '    Return details about multiple Redis commands.',
      '    If no command names are given, documentation details for all',
      '    commands are returned.',
    ],
  ],
  [
    'docs',
    [
      'DOCS [<command-name> ...]',
      '    Return documentation details about multiple Redis commands.',
      '    If no command names are given, documentation details for all',
      '    commands are returned.',
    ],
  ],
  ['getkeys', ['GETKEYS <full-command>', '    Return the keys from a full Redis command.']],
  [
    'getkeysandflags',
    ['GETKEYSANDFLAGS <full-command>', '    Return the keys and the access flags from a full Redis command.'],
  ],
];

/** COMMAND HELP */
function commandHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, COMMAND_HELP);
}

export const SERVER_COMMANDS: CommandDefinition[] = [
  /** INFO [section [section ...]] */
  cmd('info', -1, 'loading stale', { acl: 'dangerous', tips: 'nondeterministic_output request_policy:all_shards response_policy:special' }, info),
  /** TIME */
  cmd('time', 1, 'loading stale fast', { tips: 'nondeterministic_output' }, time),
  /** SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT] */
  cmd('shutdown', -1, 'admin noscript loading stale no_multi allow_busy', shutdown),
  /** CONFIG */
  container('config', -2, [
    /** CONFIG GET parameter [parameter ...] */
    cmd('get', -3, 'admin noscript loading stale', configGet),
    /** CONFIG SET parameter value [parameter value ...] */
    cmd('set', -4, 'admin noscript loading stale', { tips: 'request_policy:all_nodes response_policy:all_succeeded' }, configSet),
    /** CONFIG RESETSTAT */
    cmd('resetstat', 2, 'admin noscript loading stale', configResetstat),
    /** CONFIG REWRITE */
    cmd('rewrite', 2, 'admin noscript loading stale', configRewrite),
    /** CONFIG HELP */
    cmd('help', 2, 'loading stale', configHelp),
  ]),
  /** COMMAND */
  cmd('command', -1, 'loading stale', {
    acl: 'connection',
    tips: 'nondeterministic_output_order',
    subcommands: [
      /** COMMAND COUNT */
      cmd('count', 2, 'loading stale', { acl: 'connection' }, commandCount),
      /** COMMAND INFO [command-name [command-name ...]] */
      cmd('info', -2, 'loading stale', { acl: 'connection', tips: 'nondeterministic_output_order' }, commandInfo),
      /** COMMAND DOCS [command-name [command-name ...]] */
      cmd('docs', -2, 'loading stale', { acl: 'connection', tips: 'nondeterministic_output_order' }, commandDocs),
      /** COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern] */
      cmd('list', -2, 'loading stale', { acl: 'connection', tips: 'nondeterministic_output_order' }, commandList),
      /** COMMAND GETKEYS */
      cmd('getkeys', -4, 'loading stale', { acl: 'connection' }, commandGetkeys),
      /** COMMAND GETKEYSANDFLAGS command [arg [arg ...]] */
      cmd('getkeysandflags', -4, 'loading stale', { acl: 'connection' }, commandGetkeysandflags),
      /** COMMAND HELP */
      cmd('help', 2, 'loading stale', { acl: 'connection' }, commandHelp),
    ],
  }, command),
];
