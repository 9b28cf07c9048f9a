import { cmd, container, type CommandDefinition, type CommandFlag } from './declare.js';
import type { Client } from './context.js';
import { replyHelp, type HelpEntry } from './help.js';
import {
  ERR_FCALL_NUMKEYS,
  ERR_FUNCTION_CODE_MISSING,
  ERR_FUNCTION_FLUSH_MODE,
  ERR_FUNCTION_LIST_NAME_MISSING,
  ERR_FUNCTION_NOT_FOUND,
  ERR_FUNCTION_RESTORE_PAYLOAD,
  ERR_FUNCTION_RESTORE_POLICY,
  ERR_LIBRARY_NOT_FOUND,
  errFunctionListArgument,
  errFunctionLoadOption,
  errSubcommandSyntax,
} from './errors.js';
import { callerScriptClient, commandFlagsOf, hostFor, parseNumkeys, prepareError, runForCaller } from './script-commands.js';
import { busyError, busyRun, scriptKill } from './script-busy.js';
import { globMatch } from '../util/glob.js';
import { FUNCTION_LOAD_TIMEOUT_MS, LUA_ENGINE_NAME, type FunctionInfo } from '../scripting/function-engine.js';
import { FLAG_NAMES } from '../scripting/script-flags.js';
import { ScriptRun } from '../scripting/script-run.js';
import { createFunctionsPayload, verifyDumpPayload } from '../persistence/dump-payload.js';
import { readFunctionPayload } from '../persistence/rdb-reader.js';
import type { KeySpec } from '../acl/key-specs.js';

/**
 * FCALL, FCALL_RO and FUNCTION (Redis 7.0's functions.c): the commands layer's side of
 * functions. The libraries, their loading and their Lua state are the FunctionEngine's
 * (scripting/function-engine.ts); a function runs through the same checks and script
 * client as EVAL (script-commands.ts: scriptPrepareForRun, the ScriptHost).
 */

/** FCALL's keys: numkeys at 2, then that many keys (Redis's key spec). */
function fcallKeys(ro: boolean): KeySpec {
  return ro
    ? {
        notes: 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS',
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'keynum', keynumidx: 0, firstkey: 1, keystep: 1 },
      }
    : {
        notes: 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE',
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'keynum', keynumidx: 0, firstkey: 1, keystep: 1 },
      };
}

/** fcallGetCommandFlags: FCALL runs with the flags its function declares. */
function fcallFlags(c: Client, argv: string[]): ReadonlySet<CommandFlag> | undefined {
  const fi = c.server.functions.lookup(argv[1]!);
  if (fi === undefined) return undefined;
  return commandFlagsOf(c.server.commands.lookup(argv[0]!)!.flags, fi.flags);
}

/** FCALL function numkeys [key ...] [arg ...] and FCALL_RO (fcallCommandGeneric). */
function fcallGeneric(c: Client, argv: string[], ro: boolean): void {
  const server = c.server;
  const fi = server.functions.lookup(argv[1]!);
  if (fi === undefined) {
    c.reply.error(ERR_FUNCTION_NOT_FOUND);
    return;
  }
  const n = parseNumkeys(c, argv, ERR_FCALL_NUMKEYS);
  if (n === null) return;
  const refused = prepareError(c, fi.flags, ro);
  if (refused !== null) {
    c.reply.error(refused);
    return;
  }
  const run = new ScriptRun(fi.name, fi.flags, ro || fi.flags.noWrites, hostFor(c, callerScriptClient(c), argv), c.reply);
  run.mode = 'function';
  runForCaller(c, argv, run, () => server.functions.call(fi, argv.slice(3, 3 + n), argv.slice(3 + n), run, argv));
}

/** FUNCTION LOAD [REPLACE] code: the library's name. */
function functionLoad(c: Client, argv: string[]): void {
  let replace = false;
  let i = 2;
  while (i < argv.length - 1) {
    const option = argv[i++]!;
    if (option.toLowerCase() === 'replace') {
      replace = true;
      continue;
    }
    c.reply.error(errFunctionLoadOption(option));
    return;
  }
  if (i >= argv.length) {
    c.reply.error(ERR_FUNCTION_CODE_MISSING);
    return;
  }
  const created = c.server.functions.create(argv[i]!, replace, FUNCTION_LOAD_TIMEOUT_MS);
  if ('error' in created) {
    c.reply.error(created.error);
    return;
  }
  c.server.keyspace.changesSinceSave++;
  c.reply.bulk(created.name);
}

/** FUNCTION DELETE library-name. */
function functionDelete(c: Client, argv: string[]): void {
  if (!c.server.functions.delete(argv[2]!)) {
    c.reply.error(ERR_LIBRARY_NOT_FOUND);
    return;
  }
  c.server.keyspace.changesSinceSave++;
  c.reply.simple('OK');
}

/** FUNCTION FLUSH [ASYNC|SYNC]: every library deleted (both modes at once). */
function functionFlush(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  if (argv.length === 3 && !['sync', 'async'].includes(argv[2]!.toLowerCase())) {
    c.reply.error(ERR_FUNCTION_FLUSH_MODE);
    return;
  }
  c.server.functions.flush();
  c.server.keyspace.changesSinceSave++;
  c.reply.simple('OK');
}

/** A function's flags as FUNCTION LIST shows them: a set of status replies, in Redis's flag order. */
function replyFlags(c: Client, fi: FunctionInfo): void {
  const names: string[] = [];
  for (const [name, field] of FLAG_NAMES) if (fi.flags[field]) names.push(name);
  c.reply.setHeader(names.length);
  for (const name of names) c.reply.simple(name);
}

/**
 * FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: each library (matching the pattern,
 * without case) with its engine, functions and, with WITHCODE, its code. Libraries come in
 * the order they were created; Redis's order is its dict's (unspecified).
 */
function functionList(c: Client, argv: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    const lower = arg.toLowerCase();
    if (!withCode && lower === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === null && lower === 'libraryname') {
      if (i >= argv.length - 1) {
        c.reply.error(ERR_FUNCTION_LIST_NAME_MISSING);
        return;
      }
      pattern = argv[++i]!;
      continue;
    }
    c.reply.error(errFunctionListArgument(arg));
    return;
  }
  const libs = [...c.server.functions.current.libraries.values()].filter((lib) => pattern === null || globMatch(pattern, lib.name, true));
  const r = c.reply;
  r.arrayHeader(libs.length);
  for (const lib of libs) {
    r.mapHeader(withCode ? 4 : 3);
    r.bulk('library_name');
    r.bulk(lib.name);
    r.bulk('engine');
    r.bulk(lib.engine);
    r.bulk('functions');
    r.arrayHeader(lib.functions.size);
    for (const fi of lib.functions.values()) {
      r.mapHeader(3);
      r.bulk('name');
      r.bulk(fi.name);
      r.bulk('description');
      if (fi.description === null) r.nullBulk();
      else r.bulk(fi.description);
      r.bulk('flags');
      replyFlags(c, fi);
    }
    if (withCode) {
      r.bulk('library_code');
      r.bulk(lib.code);
    }
  }
}

/** FUNCTION DUMP: every library in one payload (Redis's format: RESTORE and Redis read it). */
function functionDump(c: Client): void {
  const payload = createFunctionsPayload(c.server.functions.codes(), c.server.config.bool('rdbcompression'));
  c.reply.bulk(payload.toString('latin1'));
}

/**
 * FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: the payload's libraries are created
 * apart, then replace every library (FLUSH) or join them (APPEND: a library of the same
 * name is an error; REPLACE: it is replaced). Any error leaves the libraries as they were.
 */
function functionRestore(c: Client, argv: string[]): void {
  if (argv.length > 4) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  let policy: 'flush' | 'append' | 'replace' = 'append';
  if (argv.length === 4) {
    const p = argv[3]!.toLowerCase();
    if (p !== 'flush' && p !== 'append' && p !== 'replace') {
      c.reply.error(ERR_FUNCTION_RESTORE_POLICY);
      return;
    }
    policy = p;
  }
  const payload = Buffer.from(argv[2]!, 'latin1');
  if (!verifyDumpPayload(payload)) {
    c.reply.error(ERR_FUNCTION_RESTORE_PAYLOAD);
    return;
  }
  const engine = c.server.functions;
  const set = engine.newSet();
  let libraryError: string | null = null;
  const readError = readFunctionPayload(payload, (code) => {
    const created = engine.create(code, false, 0, set);
    if ('error' in created) libraryError = created.error;
    return libraryError;
  });
  let error = libraryError ?? (readError === null ? null : `ERR ${readError}`);
  if (error === null) {
    if (policy === 'flush') engine.swap(set);
    else error = engine.join(set, policy === 'replace');
  }
  if (error !== null) {
    engine.releaseSet(set);
    c.reply.error(error);
    return;
  }
  c.server.keyspace.changesSinceSave++;
  c.reply.simple('OK');
}

/**
 * FUNCTION STATS: the function running now (none can be seen from another client while
 * runs are not sliced) and the engines' counts.
 */
function functionStats(c: Client): void {
  // A timed-out EVAL: BUSY, as Redis's functionStatsCommand answers while an EVAL script runs.
  const busy = busyRun(c.server);
  if (busy !== null && busy.mode === 'eval') {
    c.reply.error(busyError(busy));
    return;
  }
  const engine = c.server.functions;
  const r = c.reply;
  r.mapHeader(2);
  r.bulk('running_script');
  const running = engine.running;
  if (running === null) r.nullBulk();
  else {
    r.mapHeader(3);
    r.bulk('name');
    r.bulk(running.name);
    r.bulk('command');
    r.arrayHeader(running.argv.length);
    for (const arg of running.argv) r.bulk(arg);
    r.bulk('duration_ms');
    r.integer(Math.floor(performance.now() - running.startedAt));
  }
  r.bulk('engines');
  r.mapHeader(1);
  r.bulk(LUA_ENGINE_NAME);
  r.mapHeader(2);
  r.bulk('libraries_count');
  r.integer(engine.current.libraries.size);
  r.bulk('functions_count');
  r.integer(engine.current.functionCount);
}

/**
 * FUNCTION KILL: while a function runs, no other client's command runs (runs are not
 * sliced yet), so there is never one to kill: Redis's answer when none runs.
 */
function functionKill(c: Client): void {
  scriptKill(c, false);
}

/** FUNCTION HELP: Redis's text. */
const FUNCTION_HELP: readonly HelpEntry[] = [
  ['load', ['LOAD [REPLACE] <FUNCTION CODE>', '    Create a new library with the given library name and code.']],
  ['delete', ['DELETE <LIBRARY NAME>', '    Delete the given library.']],
  [
    'list',
    [
      'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
      '    Return general information on all the libraries:',
      '    * Library name',
      '    * The engine used to run the Library',
      '    * Library description',
      '    * Functions list',
      '    * Library code (if WITHCODE is given)',
      '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
    ],
  ],
  [
    'stats',
    [
      'STATS',
      '    Return information about the current function running:',
      '    * Function name',
      '    * Command used to run the function',
      '    * Duration in MS that the function is running',
      '    If no function is running, return nil',
      '    In addition, returns a list of available engines.',
    ],
  ],
  ['kill', ['KILL', '    Kill the current running function.']],
  [
    'flush',
    [
      'FLUSH [ASYNC|SYNC]',
      '    Delete all the libraries.',
      '    When called without the optional mode argument, the behavior is determined by the',
      '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
      '    * ASYNC: Asynchronously flush the libraries.',
      '    * SYNC: Synchronously flush the libraries.',
    ],
  ],
  [
    'dump',
    [
      'DUMP',
      '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
    ],
  ],
  [
    'restore',
    [
      'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
      '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
      '    control how to handle existing libraries (default APPEND):',
      '    * FLUSH: delete all existing libraries.',
      '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
      '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
      '      libraries with the new libraries (notice that even on this option there is a chance of failure',
      '      in case of functions name collision with another library).',
    ],
  ],
];

const SHARDS_ALL_SUCCEEDED = 'request_policy:all_shards response_policy:all_succeeded';

export const FUNCTION_COMMANDS: readonly CommandDefinition[] = [
  /** FCALL function numkeys [key [key ...]] [arg [arg ...]] */
  cmd('fcall', -3, 'noscript skip_monitor may_replicate no_mandatory_keys stale',
    { acl: 'scripting', keys: [fcallKeys(false)], flagsFor: fcallFlags },
    (c, argv) => fcallGeneric(c, argv, false)),
  /** FCALL_RO function numkeys [key [key ...]] [arg [arg ...]] */
  cmd('fcall_ro', -3, 'noscript skip_monitor no_mandatory_keys stale readonly',
    { acl: 'scripting', keys: [fcallKeys(true)], flagsFor: fcallFlags },
    (c, argv) => fcallGeneric(c, argv, true)),
  container('function', -2, [
    /** FUNCTION LOAD [REPLACE] function-code */
    cmd('load', -3, 'noscript write denyoom', { acl: 'scripting', tips: SHARDS_ALL_SUCCEEDED }, functionLoad),
    /** FUNCTION DELETE library-name */
    cmd('delete', 3, 'noscript write', { acl: 'scripting', tips: SHARDS_ALL_SUCCEEDED }, functionDelete),
    /** FUNCTION FLUSH [ASYNC|SYNC] */
    cmd('flush', -2, 'noscript write', { acl: 'scripting', tips: SHARDS_ALL_SUCCEEDED }, functionFlush),
    /** FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE] */
    cmd('list', -2, 'noscript', { acl: 'scripting', tips: 'nondeterministic_output_order' }, functionList),
    /** FUNCTION DUMP */
    cmd('dump', 2, 'noscript', { acl: 'scripting' }, functionDump),
    /** FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE] */
    cmd('restore', -3, 'noscript write denyoom', { acl: 'scripting', tips: SHARDS_ALL_SUCCEEDED }, functionRestore),
    /** FUNCTION STATS */
    cmd('stats', 2, 'noscript allow_busy',
      { acl: 'scripting', tips: 'nondeterministic_output request_policy:all_shards response_policy:special' }, functionStats),
    /** FUNCTION KILL */
    cmd('kill', 2, 'noscript allow_busy',
      { acl: 'scripting', tips: 'request_policy:all_shards response_policy:one_succeeded' }, functionKill),
    /** FUNCTION HELP */
    cmd('help', 2, 'loading stale', { acl: 'scripting' }, (c, argv) => replyHelp(c, argv, FUNCTION_HELP)),
  ]),
];
