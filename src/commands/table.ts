/*
 * In the commands layer's one import cycle, type-only and kept on purpose: see the note at
 * the top of context.ts.
 */
import type { CommandDefinition, CommandDoc, CommandFlag } from './declare.js';
import type { LatencyHistogram } from '../util/latency-histogram.js';

/** A handler, where the table's readers look for it. */
export type { Handler } from './declare.js';

/**
 * The command table of one server: every command lapse implements, built from the group
 * files' declarations (declare.ts) with COMMAND DOCS text from Redis 7.0's docs (or the
 * declaration's own, for commands Redis 7.0 lacks). The dispatcher reads it to do the
 * generic checks once; COMMAND INFO/DOCS/COUNT/LIST report it. Each server builds its own
 * (its counters and ACL ids are per server; rename-command changes it).
 */

/** A command as the server runs it: its declaration (declare.ts) with its docs, parent and counters. */
export interface CommandSpec
  extends Pick<CommandDefinition, 'name' | 'arity' | 'aclCategories' | 'firstKey' | 'lastKey' | 'keyStep' | 'tips' | 'keySpecs' | 'handler' | 'protectedBy' | 'flagsFor'> {
  /** 'get', or 'config|get' for a subcommand: the name Redis prints in errors. */
  readonly fullName: string;
  readonly flags: ReadonlySet<CommandFlag>;
  readonly doc: CommandDoc;
  readonly parent: CommandSpec | undefined;
  readonly subcommands: Map<string, CommandSpec> | undefined;
  /** The command's bit in ACL command bitmaps (src/acl/command-index.ts assigns it). */
  aclId: number;
  /** Calls, for INFO commandstats. */
  calls: number;
  rejectedCalls: number;
  failedCalls: number;
  /** Time run, µs (a fraction kept: command-timing.ts measures below a µs). */
  usec: number;
  /** Durations for INFO latencystats and LATENCY HISTOGRAM; made at the first one. */
  histogram: LatencyHistogram | null;
}

export class CommandTable {
  /** By lowercase and uppercase name, so the common spellings need no case folding. */
  private readonly byName = new Map<string, CommandSpec>();
  private readonly all: CommandSpec[] = [];

  /**
   * Fails fast on a declaration error: a command declared twice, without a handler, or
   * without docs (neither Redis 7.0's nor its own), or with its own docs where Redis's
   * exist.
   */
  constructor(definitions: readonly CommandDefinition[], redisDocs: Readonly<Record<string, CommandDoc>>) {
    for (const def of definitions) {
      const spec = buildSpec(def, redisDocs, undefined);
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

  /** Every command and subcommand, each container followed by its subcommands (Redis's walk of its table for INFO and LATENCY). */
  *everySpec(): Generator<CommandSpec> {
    for (const cmd of this.all) {
      yield cmd;
      if (cmd.subcommands !== undefined) yield* cmd.subcommands.values();
    }
  }

  get size(): number {
    return this.all.length;
  }
}

function buildSpec(def: CommandDefinition, redisDocs: Readonly<Record<string, CommandDoc>>, parent: CommandSpec | undefined): CommandSpec {
  const fullName = parent ? `${parent.name}|${def.name}` : def.name;
  if (!def.handler && !def.subcommands) throw new Error(`command ${fullName} has no handler`);
  const redisDoc = Object.hasOwn(redisDocs, fullName) ? redisDocs[fullName] : undefined;
  if (def.doc !== undefined && redisDoc !== undefined) throw new Error(`command ${fullName}: Redis 7.0 documents it, its own doc would hide Redis's`);
  const doc = def.doc ?? redisDoc;
  if (doc === undefined) throw new Error(`command ${fullName} has no docs: Redis 7.0 lacks it, declare its doc`);
  const spec: CommandSpec = {
    name: def.name,
    fullName,
    arity: def.arity,
    flags: new Set(def.flags),
    aclCategories: def.aclCategories,
    firstKey: def.firstKey,
    lastKey: def.lastKey,
    keyStep: def.keyStep,
    tips: def.tips,
    keySpecs: def.keySpecs,
    doc,
    handler: def.handler,
    protectedBy: def.protectedBy,
    flagsFor: def.flagsFor,
    parent,
    subcommands: undefined,
    aclId: -1,
    calls: 0,
    rejectedCalls: 0,
    failedCalls: 0,
    usec: 0,
    histogram: null,
  };
  if (def.subcommands) {
    const subs = new Map<string, CommandSpec>();
    for (const sub of def.subcommands) {
      if (subs.has(sub.name)) throw new Error(`command ${fullName}|${sub.name} declared twice`);
      subs.set(sub.name, buildSpec(sub, redisDocs, spec));
    }
    (spec as { subcommands: Map<string, CommandSpec> }).subcommands = subs;
  }
  return spec;
}
