/*
 * In the commands layer's one import cycle, type-only and kept on purpose: see the note at
 * the top of context.ts.
 */
import type { KeySpec } from '../acl/key-specs.js';
import { ACL_CATEGORIES } from '../acl/command-index.js';
import type { Client } from './context.js';

/**
 * The vocabulary a group file declares its commands with: one `cmd(...)` per command,
 * holding what Redis's src/commands/<name>.json holds (arity, flags, ACL categories, key
 * specs, command tips) beside the handler, e.g.
 *
 *   /** GET key *\/
 *   cmd('get', 2, 'readonly fast', { acl: 'string', keys: [key(1, 'RO access')] }, get),
 *
 * Flags, categories, key spec flags and tips are space-separated words checked by the
 * compiler: a misspelt one does not compile. What Redis 7.0 derives at start-up is derived
 * here the same way, once per process when the group file loads:
 *  - the implied ACL categories (server.c setImplicitACLCategories), so a declaration
 *    names only the explicit ones, as Redis's JSON files do;
 *  - COMMAND INFO's first key, last key and step (server.c populateCommandLegacyRangeSpec)
 *    and the `movablekeys` flag, from the key specs alone (Redis 7.0 sets it from the
 *    key specs for its own commands; a getkeys proc does not count).
 * COMMAND DOCS text comes from Redis 7.0's own docs (redis-docs.ts), except for commands
 * Redis 7.0 lacks: those carry a hand-written `doc` (with its source cited).
 */

export type Handler = (c: Client, argv: string[]) => void;

/**
 * The flags a command runs with when they depend on its arguments (Redis's
 * getCommandFlags: EVAL and FCALL take the flags their script declares), for the
 * dispatcher's OOM and MISCONF checks; undefined: the declared flags.
 */
export type FlagsFor = (c: Client, argv: string[]) => ReadonlySet<CommandFlag> | undefined;

/** Redis 7.0 command flags, as COMMAND INFO prints them. */
export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'module' | 'admin' | 'pubsub' | 'noscript' | 'blocking'
  | 'loading' | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'asking' | 'fast' | 'no_auth'
  | 'may_replicate' | 'no_mandatory_keys' | 'no_async_loading' | 'no_multi' | 'movablekeys'
  | 'allow_busy';

/** Flags a declaration names: `movablekeys` is derived from the key specs. */
export type DeclaredFlag = Exclude<CommandFlag, 'movablekeys'>;

/** Redis 7.0's ACL categories (acl.c ACLCommandCategories), without the '@'. */
export type AclCategory =
  | 'keyspace' | 'read' | 'write' | 'set' | 'sortedset' | 'list' | 'hash' | 'string' | 'bitmap'
  | 'hyperloglog' | 'geo' | 'stream' | 'pubsub' | 'admin' | 'fast' | 'slow' | 'blocking'
  | 'dangerous' | 'connection' | 'transaction' | 'scripting';

/** Key spec flags (Redis's CMD_KEY_*), as COMMAND INFO prints them. */
export type KeyFlag =
  | 'RW' | 'RO' | 'OW' | 'RM' | 'access' | 'update' | 'insert' | 'delete' | 'not_key'
  | 'incomplete' | 'variable_flags';

/** Command tips (Redis 7.0's tips in its command JSON files). */
export type Tip =
  | 'nondeterministic_output' | 'nondeterministic_output_order'
  | `request_policy:${'all_nodes' | 'all_shards' | 'multi_shard' | 'special'}`
  | `response_policy:${'one_succeeded' | 'all_succeeded' | 'agg_logical_and' | 'agg_logical_or' | 'agg_min' | 'agg_max' | 'agg_sum' | 'special'}`;

/**
 * `S` when it is words of `W` separated by single spaces (or empty), else never: a
 * parameter typed `S & Words<S, W>` accepts only such a string literal.
 */
export type Words<S extends string, W extends string> = S extends ''
  ? S
  : S extends `${infer Head} ${infer Tail}`
    ? Head extends W
      ? `${Head} ${Words<Tail, W>}`
      : never
    : S extends W
      ? S
      : never;

/** One argument in COMMAND DOCS. */
export interface ArgumentDoc {
  name: string;
  type: 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';
  displayText?: string;
  keySpecIndex?: number;
  token?: string;
  summary?: string;
  since?: string;
  flags?: ('optional' | 'multiple' | 'multiple_token')[];
  deprecatedSince?: string;
  value?: ArgumentDoc[];
}

/** A command's COMMAND DOCS fields (its subcommands come from the table). */
export interface CommandDoc {
  summary: string;
  since: string;
  group: string;
  complexity?: string;
  docFlags?: string[];
  deprecatedSince?: string;
  replacedBy?: string;
  history?: [string, string][];
  arguments?: ArgumentDoc[];
}

/** A command as its group file declares it, with what Redis derives from that already derived. */
export interface CommandDefinition {
  /** Lowercase name; a subcommand is declared inside its container with its own name. */
  readonly name: string;
  /** Redis's arity: positive, exactly that many arguments (the name included); negative, at least -arity. */
  readonly arity: number;
  /** Declared flags, plus `movablekeys` when the key specs call for it. */
  readonly flags: readonly CommandFlag[];
  /** Explicit and implied categories, '@'-prefixed, in Redis's order. */
  readonly aclCategories: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly tips: readonly string[];
  readonly keySpecs: readonly KeySpec[];
  /** Hand-written docs of a command Redis 7.0 lacks; undefined: Redis 7.0's own docs. */
  readonly doc: CommandDoc | undefined;
  readonly handler: Handler | undefined;
  readonly subcommands: readonly CommandDefinition[] | undefined;
  /**
   * Redis's hidden PROTECTED flag: the command runs only where this parameter allows it
   * (yes, or local for a loopback client); the dispatcher refuses it right after the
   * arity check, before authentication, as Redis's processCommand does.
   */
  readonly protectedBy: ProtectingParam | undefined;
  /** Flags that depend on the arguments (see FlagsFor); undefined for most commands. */
  readonly flagsFor: FlagsFor | undefined;
}

/** The parameters that allow a protected command (Redis's enable-debug-command, enable-module-command). */
export type ProtectingParam = 'enable-debug-command' | 'enable-module-command';

/** A declaration as plain data: what `cmd()` reads from its words, and what a test builds from Redis's own metadata. */
export interface Declaration {
  name: string;
  arity: number;
  flags: readonly DeclaredFlag[];
  /** Explicit categories only (without '@'); the implied ones are added. */
  acl: readonly AclCategory[];
  tips: readonly string[];
  keySpecs: readonly KeySpec[];
  doc?: CommandDoc;
  handler?: Handler;
  subcommands?: readonly CommandDefinition[];
  protectedBy?: ProtectingParam;
  flagsFor?: FlagsFor;
}

/** What a declaration may add to its name, arity and flags. */
export interface CommandOptions<A extends string, T extends string> {
  /** Explicit ACL categories (as in Redis's JSON "acl_categories"), space-separated. */
  acl?: A & Words<A, AclCategory>;
  /** Command tips, space-separated. */
  tips?: T & Words<T, Tip>;
  /** Key specs, in Redis's order (arguments' key_spec_index refers to it). */
  keys?: readonly KeySpec[];
  /** A container's subcommands. */
  subcommands?: readonly CommandDefinition[];
  /** Docs for a command Redis 7.0 does not have, with their source cited. */
  doc?: CommandDoc;
  /** Redis's hidden PROTECTED flag (DEBUG, MODULE): see CommandDefinition.protectedBy. */
  protectedBy?: ProtectingParam;
  /** Flags that depend on the arguments (EVAL, FCALL): see FlagsFor. */
  flagsFor?: FlagsFor;
}

function words<W extends string>(s: string | undefined): W[] {
  return s === undefined || s === '' ? [] : (s.split(' ') as W[]);
}

/**
 * A command: name, arity, flags (space-separated), then its options and its handler.
 * A container without a handler of its own is declared with `container()`.
 */
export function cmd<const F extends string, const A extends string = '', const T extends string = ''>(
  name: string,
  arity: number,
  flags: F & Words<F, DeclaredFlag>,
  options: CommandOptions<A, T>,
  handler: Handler,
): CommandDefinition;
export function cmd<const F extends string>(name: string, arity: number, flags: F & Words<F, DeclaredFlag>, handler: Handler): CommandDefinition;
export function cmd(
  name: string,
  arity: number,
  flags: string,
  optionsOrHandler: CommandOptions<string, string> | Handler,
  handler?: Handler,
): CommandDefinition {
  const options = typeof optionsOrHandler === 'function' ? {} : optionsOrHandler;
  return define({
    name,
    arity,
    flags: words<DeclaredFlag>(flags),
    acl: words<AclCategory>(options.acl),
    tips: words<string>(options.tips),
    keySpecs: options.keys ?? [],
    doc: options.doc,
    handler: typeof optionsOrHandler === 'function' ? optionsOrHandler : handler,
    subcommands: options.subcommands,
    protectedBy: options.protectedBy,
    flagsFor: options.flagsFor,
  });
}

/**
 * A container command (CONFIG, CLIENT, ...): Redis declares it with its arity (-2: a
 * subcommand is required), no flags, and its subcommands; calling it alone is an error.
 */
export function container(name: string, arity: number, subcommands: readonly CommandDefinition[]): CommandDefinition {
  return define({ name, arity, flags: [], acl: [], tips: [], keySpecs: [], subcommands });
}

/** Range options of a key spec: last key relative to the first (-1: to the end), step, limit. */
export interface KeyRange {
  /** The last key's index relative to the first one; negative counts from the end (-1: the last argument). Default 0. */
  last?: number;
  /** Arguments between keys (2: key value key value...). Default 1. */
  step?: number;
  /** With `last` -1 or less: the share of the remaining arguments that are keys (0: all). Default 0. */
  limit?: number;
  /** Redis's note on the key spec. */
  notes?: string;
}

/**
 * A key spec for keys from argument `index` (begin_search index), one key by default,
 * or a range (find_keys range) with `range`.
 */
export function key<const F extends string>(index: number, flags: F & Words<F, KeyFlag>, range: KeyRange = {}): KeySpec {
  const spec: KeySpec = {
    flags: words<KeyFlag>(flags),
    beginSearch: { type: 'index', index },
    findKeys: { type: 'range', lastkey: range.last ?? 0, keystep: range.step ?? 1, limit: range.limit ?? 0 },
  };
  if (range.notes !== undefined) spec.notes = range.notes;
  return spec;
}

/**
 * A key spec for a count of keys at argument `index` followed by that many keys
 * (begin_search index, find_keys keynum: LMPOP, ZUNION, SINTERCARD ...).
 */
export function keynum<const F extends string>(index: number, flags: F & Words<F, KeyFlag>): KeySpec {
  return { flags: words<KeyFlag>(flags), beginSearch: { type: 'index', index }, findKeys: { type: 'keynum', keynumidx: 0, firstkey: 1, keystep: 1 } };
}

/** Implied categories: server.c setImplicitACLCategories, Redis 7.0. */
function impliedCategories(flags: readonly CommandFlag[], explicit: readonly AclCategory[]): Set<AclCategory> {
  const cats = new Set<AclCategory>(explicit);
  const has = (f: CommandFlag): boolean => flags.includes(f);
  if (has('write')) cats.add('write');
  // Scripting commands are left out of @read.
  if (has('readonly') && !cats.has('scripting')) cats.add('read');
  if (has('admin')) {
    cats.add('admin');
    cats.add('dangerous');
  }
  if (has('pubsub')) cats.add('pubsub');
  if (has('fast')) cats.add('fast');
  if (has('blocking')) cats.add('blocking');
  // Not @fast is @slow, "in this binary world".
  if (!cats.has('fast')) cats.add('slow');
  return cats;
}

/**
 * COMMAND INFO's first key, last key and step, and whether keys are movable: server.c
 * populateCommandLegacyRangeSpec (Redis 7.0). One index+range spec is used as it is;
 * otherwise consecutive plain (step 1) index+range specs are merged into one range, and
 * any other spec makes the keys movable. The last keys are compared as unsigned, so a
 * range to the end (negative) wins over any absolute position.
 */
function legacyRange(specs: readonly KeySpec[]): { firstKey: number; lastKey: number; keyStep: number; movable: boolean } {
  const none = { firstKey: 0, lastKey: 0, keyStep: 0 };
  if (specs.length === 0) return { ...none, movable: false };
  const only = specs[0]!;
  if (specs.length === 1 && only.beginSearch.type === 'index' && only.findKeys.type === 'range') {
    const first = only.beginSearch.index;
    const last = only.findKeys.lastkey;
    return {
      firstKey: first,
      lastKey: last >= 0 ? last + first : last,
      keyStep: only.findKeys.keystep,
      movable: only.flags.includes('incomplete'),
    };
  }
  let movable = false;
  let firstKey = Number.MAX_SAFE_INTEGER;
  let lastKey = 0;
  let prevLastKey = 0;
  for (const spec of specs) {
    const bs = spec.beginSearch;
    const fk = spec.findKeys;
    if (bs.type !== 'index' || fk.type !== 'range') {
      movable = true;
      continue;
    }
    if (fk.keystep !== 1 || (prevLastKey !== 0 && prevLastKey !== bs.index - 1)) {
      movable = true;
      continue;
    }
    if (spec.flags.includes('incomplete')) movable = true;
    firstKey = Math.min(firstKey, bs.index);
    const lastAbs = fk.lastkey >= 0 ? fk.lastkey + bs.index : fk.lastkey;
    if (lastAbs >>> 0 > lastKey >>> 0) lastKey = lastAbs;
    prevLastKey = lastKey;
  }
  if (firstKey === Number.MAX_SAFE_INTEGER) return { ...none, movable: true };
  // Redis stores the merged range relative to the first key and COMMAND INFO adds it back.
  return { firstKey, lastKey, keyStep: 1, movable };
}

/** A declaration with what Redis derives from it. */
export function define(d: Declaration): CommandDefinition {
  const { firstKey, lastKey, keyStep, movable } = legacyRange(d.keySpecs);
  const flags: CommandFlag[] = [...d.flags];
  if (movable) flags.push('movablekeys');
  const cats = impliedCategories(flags, d.acl);
  return {
    name: d.name,
    arity: d.arity,
    flags,
    aclCategories: ACL_CATEGORIES.filter((c) => cats.has(c as AclCategory)).map((c) => `@${c}`),
    firstKey,
    lastKey,
    keyStep,
    tips: d.tips,
    keySpecs: d.keySpecs,
    doc: d.doc,
    handler: d.handler,
    subcommands: d.subcommands,
    protectedBy: d.protectedBy,
    flagsFor: d.flagsFor,
  };
}
