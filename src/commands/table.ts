import type { KeySpec } from '../acl/key-specs.js';
import type { Client } from './context.js';

/**
 * The declarative command table: every command lapse implements, with Redis's arity
 * (positive: exact argc; negative: at least -arity), flags, key positions, handler and
 * documentation. The dispatcher reads it to do the generic checks once; COMMAND
 * INFO/DOCS/COUNT/LIST report it.
 */

export type Handler = (c: Client, argv: string[]) => void;

/** Redis 7.0 command flags, as COMMAND INFO prints them. */
export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'module' | 'admin' | 'pubsub' | 'noscript' | 'blocking'
  | 'loading' | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'asking' | 'fast' | 'no_auth'
  | 'may_replicate' | 'no_mandatory_keys' | 'no_async_loading' | 'no_multi' | 'movablekeys'
  | 'allow_busy' | 'sentinel' | 'only_sentinel';

/** Key specs are declared with the ACL key check that reads them (src/acl/key-specs.ts). */
export type { KeySpec } from '../acl/key-specs.js';

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

/** What a command file declares. Metadata (flags, key specs, docs) may come from meta.ts. */
export interface CommandDefinition {
  /** Lowercase name; a subcommand is declared inside its container with its own name. */
  name: string;
  arity: number;
  handler?: Handler;
  subcommands?: CommandDefinition[];
}

export interface CommandSpec {
  /** Lowercase name ('get', or 'get' inside 'config'). */
  readonly name: string;
  /** 'get', or 'config|get' for a subcommand: the name Redis prints in errors. */
  readonly fullName: string;
  readonly arity: number;
  readonly flags: ReadonlySet<CommandFlag>;
  readonly aclCategories: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly tips: readonly string[];
  readonly keySpecs: readonly KeySpec[];
  readonly doc: CommandDoc;
  readonly handler: Handler | undefined;
  readonly parent: CommandSpec | undefined;
  readonly subcommands: Map<string, CommandSpec> | undefined;
  /** The command's bit in ACL command bitmaps (src/acl/command-index.ts assigns it). */
  aclId: number;
  /** Calls and time spent, for INFO commandstats. */
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

/** Metadata for one command (and its subcommands), in lapse's own form. */
export interface CommandMeta {
  arity: number;
  flags: CommandFlag[];
  aclCategories: string[];
  firstKey: number;
  lastKey: number;
  keyStep: number;
  tips: string[];
  keySpecs: KeySpec[];
  doc: CommandDoc;
  subcommands?: Record<string, CommandMeta>;
}

export class CommandTable {
  /** By lowercase and uppercase name, so the common spellings need no case folding. */
  private readonly byName = new Map<string, CommandSpec>();
  private readonly all: CommandSpec[] = [];

  constructor(definitions: readonly CommandDefinition[], meta: Readonly<Record<string, CommandMeta>>) {
    for (const def of definitions) {
      const spec = buildSpec(def, meta[def.name], undefined);
      if (this.byName.has(spec.name)) throw new Error(`command ${spec.name} declared twice`);
      this.byName.set(spec.name, spec);
      this.byName.set(spec.name.toUpperCase(), spec);
      this.all.push(spec);
    }
  }

  /**
   * The last name looked up and what it found: a client repeating a command sends the
   * same name string (the parser reuses it), and === on the same string is a pointer test.
   */
  private lastName = '';
  private lastSpec: CommandSpec | undefined = undefined;

  /** The command named by argv[0], case-insensitively. */
  lookup(name: string): CommandSpec | undefined {
    if (name === this.lastName) return this.lastSpec;
    const spec = this.byName.get(name) ?? this.byName.get(name.toLowerCase());
    this.lastName = name;
    this.lastSpec = spec;
    return spec;
  }

  /**
   * A command by its full name, 'get' or 'config|get', case-insensitively (Redis's
   * lookupCommandBySds, for COMMAND INFO/DOCS): a container alone is found, a name with
   * a '|' must be a container and one of its subcommands.
   */
  lookupFullName(fullName: string): CommandSpec | undefined {
    const parts = fullName.split('|');
    if (parts.length > 2) return undefined;
    const base = this.lookup(parts[0]!);
    if (parts.length === 1 || base === undefined) return base;
    return base.subcommands?.get(parts[1]!.toLowerCase());
  }

  /**
   * The command a full argv would run (Redis's lookupCommand, for COMMAND GETKEYS):
   * a container with a second argument means its subcommand.
   */
  lookupArgv(argv: readonly string[]): CommandSpec | undefined {
    const base = this.lookup(argv[0]!);
    if (argv.length === 1 || base?.subcommands === undefined) return base;
    return base.subcommands.get(argv[1]!.toLowerCase());
  }

  /**
   * rename-command: the command answers to `newName` instead of `name`, or to no name at
   * all when `newName` is empty, as Redis moves it in its command dictionary at start-up.
   * A renamed command keeps its own name in COMMAND's replies (Redis's fullname); a
   * removed one leaves them. Returns Redis's reason to refuse, or null.
   */
  rename(name: string, newName: string): string | null {
    const from = name.toLowerCase();
    const spec = this.byName.get(from);
    if (spec === undefined) return 'No such command in rename-command';
    this.byName.delete(from);
    this.byName.delete(from.toUpperCase());
    this.lastName = '';
    this.lastSpec = undefined;
    if (newName === '') {
      this.all.splice(this.all.indexOf(spec), 1);
      return null;
    }
    const to = newName.toLowerCase();
    if (this.byName.has(to)) return 'Target command name already exists';
    this.byName.set(to, spec);
    this.byName.set(to.toUpperCase(), spec);
    return null;
  }

  /** Every top-level command. */
  commands(): readonly CommandSpec[] {
    return this.all;
  }

  get size(): number {
    return this.all.length;
  }
}

function buildSpec(def: CommandDefinition, meta: CommandMeta | undefined, parent: CommandSpec | undefined): CommandSpec {
  const fullName = parent ? `${parent.name}|${def.name}` : def.name;
  if (!meta) throw new Error(`command ${fullName} has no metadata`);
  if (meta.arity !== def.arity) throw new Error(`command ${fullName}: arity ${def.arity} differs from metadata ${meta.arity}`);
  if (!def.handler && !def.subcommands) throw new Error(`command ${fullName} has no handler`);
  const spec: CommandSpec = {
    name: def.name,
    fullName,
    arity: def.arity,
    flags: new Set(meta.flags),
    aclCategories: meta.aclCategories,
    firstKey: meta.firstKey,
    lastKey: meta.lastKey,
    keyStep: meta.keyStep,
    tips: meta.tips,
    keySpecs: meta.keySpecs,
    doc: meta.doc,
    handler: def.handler,
    parent,
    subcommands: undefined,
    aclId: -1,
    calls: 0,
    usec: 0,
    rejectedCalls: 0,
    failedCalls: 0,
  };
  if (def.subcommands) {
    const subs = new Map<string, CommandSpec>();
    for (const sub of def.subcommands) {
      subs.set(sub.name, buildSpec(sub, meta.subcommands?.[sub.name], spec));
    }
    (spec as { subcommands: Map<string, CommandSpec> }).subcommands = subs;
  }
  return spec;
}
