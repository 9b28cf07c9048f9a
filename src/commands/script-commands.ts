import { cmd, container, type CommandDefinition, type CommandFlag } from './declare.js';
import { Client, socketlessTransport } from './context.js';
import type { CommandSpec } from './table.js';
import { executeFromScript } from './dispatch.js';
import { replyHelp, type HelpEntry } from './help.js';
import {
  ERR_MASTERDOWN,
  ERR_NOSCRIPT,
  ERR_NOT_INTEGER,
  ERR_NUMKEYS_NEGATIVE,
  ERR_NUMKEYS_OVER_ARGS,
  ERR_SCRIPT_FLUSH_MODE,
} from './errors.js';
import { ACL_OK } from '../acl/user.js';
import { parseI64 } from '../util/numbers.js';
import { ScriptEngine, type CachedScript } from '../scripting/script-engine.js';
import { ScriptRun, type ScriptHost } from '../scripting/script-run.js';
import { parseShebang, type ScriptFlags } from '../scripting/script-flags.js';
import { errorTableText } from '../scripting/lua-reply.js';
import { ERR_SCRIPT_MISCONF, ERR_SCRIPT_OOM, ERR_SCRIPT_WRITE_FLAG_RO } from '../scripting/script-errors.js';
import type { KeySpec } from '../acl/key-specs.js';
import { holdForScript, scriptKill } from './script-busy.js';

/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis 7.0's eval.c): the commands
 * layer's side of scripting. The engine (scripting/script-engine.ts) compiles and runs
 * scripts; here are the commands' arguments and errors, Redis's checks before a run
 * (scriptPrepareForRun), and the ScriptHost through which a script's redis.call runs a
 * command: on the server's script client (Redis's lua_client), as the calling user, in
 * the caller's database, through dispatch.ts's executeFromScript.
 */

/** The keys of EVAL and friends: numkeys at 2, then that many keys (Redis's key spec). */
function evalKeys(flags: 'RW access update' | 'RO access', notes: boolean): KeySpec {
  const spec: KeySpec = {
    flags: flags.split(' ') as KeySpec['flags'],
    beginSearch: { type: 'index', index: 2 },
    findKeys: { type: 'keynum', keynumidx: 0, firstkey: 1, keystep: 1 },
  };
  if (notes) {
    spec.notes = flags.startsWith('RW')
      ? 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE'
      : 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS';
  }
  return spec;
}

/** No socket: the script client's transport (it is never listed, never written to). */
const SCRIPT_TRANSPORT = socketlessTransport('script client');

/** The server's script client, made at the first script run (Redis makes it at start-up). */
export function scriptClient(c: Client): Client {
  const server = c.server;
  let sc = server.scriptClient;
  if (sc === null) {
    sc = new Client(server, SCRIPT_TRANSPORT);
    sc.isScript = true;
    sc.authenticated = true;
    server.scriptClient = sc;
  }
  return sc;
}

/** The command a script's argv names (a container's subcommand too), as Redis's lookupCommand. */
function lookupCommand(c: Client, argv: readonly string[]): CommandSpec | undefined {
  const found = c.server.commands.lookup(argv[0]!);
  if (found === undefined || found.subcommands === undefined || argv.length < 2) return found;
  return found.subcommands.get(argv[1]!.toLowerCase());
}

/** What a run of a script called by c reaches of the server. */
export function hostFor(c: Client, sc: Client, callerArgv: string[]): ScriptHost {
  const tracking = c.server.tracking;
  return {
    call(argv: string[], run: ScriptRun): string | null {
      sc.protocol = run.resp;
      // Redis's script_caller: a read by the script counts for c, with its command's keys (tracking.ts).
      tracking.scriptCaller = c;
      tracking.scriptCallerArgv = callerArgv;
      const refusal = executeFromScript(sc, argv, run);
      // A refusal counts in errorstats as Redis's afterErrorReply counts it.
      if (refusal !== null) sc.reply.onError?.(errorTableText(refusal));
      // The errors of the script's commands are theirs: EVAL fails only by its own reply
      // (Redis's prev_err_count, taken after each nested call).
      c.errorsSeen = c.server.stats.totalErrorReplies;
      return refusal;
    },
    aclCheck(argv: string[]): boolean | null {
      const spec = lookupCommand(c, argv);
      if (spec === undefined) return null;
      return c.user.unrestricted || c.user.check(spec, argv) === ACL_OK;
    },
  };
}

/**
 * Redis's scriptFlagsToCmdFlags: a script with a shebang runs with the flags it declares
 * in place of EVAL's stale, denyoom, write and may_replicate.
 */
export function commandFlagsOf(declared: ReadonlySet<CommandFlag>, flags: ScriptFlags): ReadonlySet<CommandFlag> {
  const out = new Set(declared);
  for (const f of ['stale', 'denyoom', 'write', 'may_replicate'] as const) out.delete(f);
  if (!flags.allowOom && !flags.noWrites) out.add('denyoom');
  if (!flags.noWrites) out.add('write');
  if (flags.allowStale) out.add('stale');
  return out;
}

/** evalGetCommandFlags: the flags EVAL runs with for this script, undefined for EVAL's own. */
function evalFlags(evalsha: boolean): (c: Client, argv: string[]) => ReadonlySet<CommandFlag> | undefined {
  return (c, argv) => {
    const engine = c.server.scripts;
    const spec = c.server.commands.lookup(argv[0]!)!;
    let flags: ScriptFlags;
    if (evalsha) {
      if (argv[1]!.length !== 40) return undefined;
      const script = engine.lookup(argv[1]!);
      if (script === undefined) return undefined;
      flags = script.flags;
    } else {
      const script = engine.lookup(ScriptEngine.sha1(argv[1]!));
      if (script !== undefined) flags = script.flags;
      else {
        const parsed = parseShebang(argv[1]!);
        if ('error' in parsed) return undefined;
        flags = parsed.flags;
      }
    }
    return flags.compat ? undefined : commandFlagsOf(spec.flags, flags);
  };
}

/** Redis's checks of a script with a shebang before it runs (scriptPrepareForRun); the error, or null. */
export function prepareError(c: Client, flags: ScriptFlags, ro: boolean): string | null {
  const server = c.server;
  if (flags.compat) {
    // Without a shebang, a script is refused whole while the replica serves no stale data
    // (scriptPrepareForRun's backwards-compatibility branch; EVAL itself is flagged stale).
    const link = server.primaryLink;
    return link.isReplica && !link.linkUp && !server.config.bool('replica-serve-stale-data') ? ERR_MASTERDOWN : null;
  }
  if (!flags.noWrites) {
    if (server.persistence.writesDenied) return ERR_SCRIPT_MISCONF;
    if (ro) return ERR_SCRIPT_WRITE_FLAG_RO;
  }
  if (server.scripts.preCommandOom && server.memory.maxmemory > 0 && !flags.allowOom && !flags.noWrites) return ERR_SCRIPT_OOM;
  return null;
}

/**
 * EVAL script numkeys [key ...] [arg ...], EVALSHA sha1 numkeys ..., and their _RO
 * forms: the script (compiled and cached on first sight) runs with KEYS and ARGV.
 */
function evalGeneric(c: Client, argv: string[], evalsha: boolean, ro: boolean): void {
  const engine = c.server.scripts;
  if (evalsha && argv[1]!.length !== 40) {
    c.reply.error(ERR_NOSCRIPT);
    return;
  }
  const n = parseNumkeys(c, argv, ERR_NOT_INTEGER);
  if (n === null) return;
  let script: CachedScript | { error: string } | undefined;
  if (evalsha) {
    script = engine.lookup(argv[1]!);
    if (script === undefined) {
      c.reply.error(ERR_NOSCRIPT);
      return;
    }
  } else script = engine.load(argv[1]!);
  if ('error' in script) {
    c.reply.error(script.error);
    return;
  }
  const refused = prepareError(c, script.flags, ro);
  if (refused !== null) {
    c.reply.error(refused);
    return;
  }
  const readOnly = ro || (!script.flags.compat && script.flags.noWrites);
  const run = new ScriptRun(script.sha, script.flags, readOnly, hostFor(c, callerScriptClient(c), argv), c.reply);
  const ranScript = script;
  runForCaller(c, argv, run, () => engine.run(ranScript, argv.slice(3, 3 + n), argv.slice(3 + n), run));
}

/**
 * numkeys of EVAL / FCALL (argv[2]): the number, or null once the error is answered
 * (`notInteger` for one that does not parse: each command words it its own way).
 */
export function parseNumkeys(c: Client, argv: string[], notInteger: string): number | null {
  const numkeys = parseI64(argv[2]!);
  if (numkeys === undefined) {
    c.reply.error(notInteger);
    return null;
  }
  if (numkeys > argv.length - 3) {
    c.reply.error(ERR_NUMKEYS_OVER_ARGS);
    return null;
  }
  if (numkeys < 0) {
    c.reply.error(ERR_NUMKEYS_NEGATIVE);
    return null;
  }
  return Number(numkeys);
}

/** The server's script client, set up to run for caller c: c's database and user, RESP2 until redis.setresp. */
export function callerScriptClient(c: Client): Client {
  const sc = scriptClient(c);
  sc.db = c.db;
  sc.user = c.user;
  sc.protocol = 2;
  return sc;
}

/**
 * Runs a script or function for c (`start` returns false when the run was suspended past
 * busy-reply-threshold) and counts the command as failed when the run passed an error on.
 */
export function runForCaller(c: Client, argv: string[], run: ScriptRun, start: () => boolean): void {
  const spec = c.server.commands.lookup(argv[0]!)!;
  if (start()) {
    // An error the script passed on was counted where it happened; the command still failed.
    if (run.uncountedErrors > 0) spec.failedCalls++;
    return;
  }
  // Past busy-reply-threshold: the reply comes when the run ends (script-busy.ts). The
  // command was counted when it was suspended; whether it failed is known only now.
  holdForScript(c, () => {
    if (run.uncountedErrors > 0 || c.server.stats.totalErrorReplies > c.errorsSeen) spec.failedCalls++;
    c.errorsSeen = c.server.stats.totalErrorReplies;
  });
}

/** SCRIPT LOAD script: compiles and caches, answers the sha. */
function scriptLoad(c: Client, argv: string[]): void {
  const script = c.server.scripts.load(argv[2]!);
  if ('error' in script) c.reply.error(script.error);
  else c.reply.bulk(script.sha);
}

/** SCRIPT EXISTS sha1 [sha1 ...]: 1 or 0 for each. */
function scriptExists(c: Client, argv: string[]): void {
  const engine = c.server.scripts;
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.integer(engine.lookup(argv[i]!) === undefined ? 0 : 1);
}

/**
 * SCRIPT FLUSH [ASYNC|SYNC]: empties the cache and starts a fresh Lua state. Both modes
 * do it at once (nothing is left for a background thread to free: the state is closed).
 */
function scriptFlush(c: Client, argv: string[]): void {
  if (argv.length > 3 || (argv.length === 3 && !['sync', 'async'].includes(argv[2]!.toLowerCase()))) {
    c.reply.error(ERR_SCRIPT_FLUSH_MODE);
    return;
  }
  c.server.scripts.flush();
  c.reply.simple('OK');
}

/** SCRIPT HELP: Redis's text, for the subcommands lapse has. */
const SCRIPT_HELP: readonly HelpEntry[] = [
  ['debug', ['DEBUG (YES|SYNC|NO)', '    Set the debug mode for subsequent scripts executed.']],
  ['exists', ['EXISTS <sha1> [<sha1> ...]', '    Return information about the existence of the scripts in the script cache.']],
  [
    'flush',
    [
      'FLUSH [ASYNC|SYNC]',
      '    Flush the Lua scripts cache. Very dangerous on replicas.',
      '    When called without the optional mode argument, the behavior is determined by the',
      '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
      '    * ASYNC: Asynchronously flush the scripts cache.',
      '    * SYNC: Synchronously flush the scripts cache.',
    ],
  ],
  ['kill', ['KILL', '    Kill the currently executing Lua script.']],
  ['load', ['LOAD <script>', '    Load a script into the scripts cache without executing it.']],
];

export const SCRIPT_COMMANDS: readonly CommandDefinition[] = [
  /** EVAL script numkeys [key [key ...]] [arg [arg ...]] */
  cmd('eval', -3, 'noscript skip_monitor may_replicate no_mandatory_keys stale',
    { acl: 'scripting', keys: [evalKeys('RW access update', true)], flagsFor: evalFlags(false) },
    (c, argv) => evalGeneric(c, argv, false, false)),
  /** EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]] */
  cmd('evalsha', -3, 'noscript skip_monitor may_replicate no_mandatory_keys stale',
    { acl: 'scripting', keys: [evalKeys('RW access update', false)], flagsFor: evalFlags(true) },
    (c, argv) => evalGeneric(c, argv, true, false)),
  /** EVAL_RO script numkeys [key [key ...]] [arg [arg ...]] */
  cmd('eval_ro', -3, 'noscript skip_monitor no_mandatory_keys stale readonly',
    { acl: 'scripting', keys: [evalKeys('RO access', true)], flagsFor: evalFlags(false) },
    (c, argv) => evalGeneric(c, argv, false, true)),
  /** EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]] */
  cmd('evalsha_ro', -3, 'noscript skip_monitor no_mandatory_keys stale readonly',
    { acl: 'scripting', keys: [evalKeys('RO access', false)], flagsFor: evalFlags(true) },
    (c, argv) => evalGeneric(c, argv, true, true)),
  container('script', -2, [
    /** SCRIPT LOAD script */
    cmd('load', 3, 'noscript stale', { acl: 'scripting', tips: 'request_policy:all_nodes response_policy:all_succeeded' }, scriptLoad),
    /** SCRIPT EXISTS sha1 [sha1 ...] */
    cmd('exists', -3, 'noscript', { acl: 'scripting', tips: 'request_policy:all_shards response_policy:agg_logical_and' }, scriptExists),
    /** SCRIPT FLUSH [ASYNC|SYNC] */
    cmd('flush', -2, 'noscript', { acl: 'scripting', tips: 'request_policy:all_nodes response_policy:all_succeeded' }, scriptFlush),
    /** SCRIPT KILL */
    cmd('kill', 2, 'noscript allow_busy', { acl: 'scripting', tips: 'request_policy:all_shards response_policy:one_succeeded' }, (c) =>
      scriptKill(c, true)),
    /** SCRIPT HELP */
    cmd('help', 2, 'loading stale', { acl: 'scripting' }, (c, argv) => replyHelp(c, argv, SCRIPT_HELP)),
  ]),
];
