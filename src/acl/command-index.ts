import { ACL_CATEGORIES, REDIS_ACL_COMMANDS } from './catalog.generated.js';
import type { KeyedCommand } from './key-specs.js';
import { cString } from '../util/c-string.js';

/**
 * What ACL reads of one of lapse's commands, and the id it gives it (the command
 * table's CommandSpec is one). Declared here so that ACL stays below the commands layer.
 */
export interface AclCommandSpec extends KeyedCommand {
  readonly flags: ReadonlySet<string>;
  readonly aclCategories: readonly string[];
  readonly parent: AclCommandSpec | undefined;
  readonly subcommands: ReadonlyMap<string, AclCommandSpec> | undefined;
  /** The command's bit in ACL command bitmaps (AclCommandIndex assigns it). */
  aclId: number;
}

/** The commands lapse implements (the command table is one). */
export interface AclCommandSource {
  commands(): readonly AclCommandSpec[];
}

/**
 * The commands ACL rules can name: every command and subcommand of Redis 7.0 (the
 * catalogue), whether lapse implements it or not, plus lapse's own additions (commands
 * of later Redis versions). Each has an id, its bit in a selector's command bitmap.
 *
 * Redis bases its ACLs on its whole command table, so a rule written for Redis
 * (`-debug`, `+@all -flushall`) loads here too, and ACL GETUSER/LIST describe a user
 * with the categories Redis would choose: that choice counts the commands of Redis's
 * table only (`inRedis`), so lapse's additions never change it.
 */
export interface AclCommand {
  readonly id: number;
  /** 'get', or 'config|get' for a subcommand. */
  readonly fullName: string;
  /** Bit mask over ACL_CATEGORIES. */
  readonly categories: number;
  readonly parent: AclCommand | undefined;
  /** A container's subcommands, by lowercase name, in catalogue order. */
  readonly subcommands: Map<string, AclCommand> | undefined;
  /** Part of Redis 7.0's command table (counted when describing rules). */
  readonly inRedis: boolean;
  /** lapse's command, if lapse implements it. */
  spec: AclCommandSpec | undefined;
  /** Runs before authentication, and whatever the user's command rules (no_auth). */
  noAuth: boolean;
  /** Where a pub/sub command's channels are, for the channel check. */
  channels: ChannelArguments | undefined;
}

/**
 * Where the channels of a pub/sub command are: the first argument (PUBLISH), every
 * argument (SUBSCRIBE), or every argument as a pattern, compared literally with the
 * user's patterns (PSUBSCRIBE). Unsubscribing needs no permission.
 */
export type ChannelArguments = 'first' | 'all' | 'patterns';

const CHANNEL_COMMANDS: Readonly<Record<string, ChannelArguments>> = {
  publish: 'first',
  spublish: 'first',
  subscribe: 'all',
  ssubscribe: 'all',
  psubscribe: 'patterns',
};

/** The bit of a category name (case-insensitive, as strcasecmp), or 0 if there is none. */
export function categoryBit(name: string): number {
  const i = ACL_CATEGORIES.indexOf(cString(name).toLowerCase());
  return i < 0 ? 0 : 1 << i;
}

export { ACL_CATEGORIES };

export class AclCommandIndex {
  /** By id. */
  readonly all: AclCommand[] = [];
  /** Top-level commands, in catalogue order (containers' subcommands hang below them). */
  readonly topLevel: AclCommand[] = [];
  private readonly byName = new Map<string, AclCommand>();

  constructor(table: AclCommandSource) {
    for (const [fullName, categories] of REDIS_ACL_COMMANDS) this.add(fullName, categories, true);
    for (const cmd of table.commands()) {
      this.link(cmd);
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) this.link(sub);
    }
  }

  /** Ids go from 0 to size - 1; selectors keep one more bit, for "future commands". */
  get size(): number {
    return this.all.length;
  }

  /**
   * A command by full name, as Redis's ACLLookupCommand: 'name' or 'container|sub',
   * ASCII case-insensitively; more than one '|' or a '|' after a command that has no
   * subcommands names nothing.
   */
  lookup(fullName: string): AclCommand | undefined {
    const parts = fullName.split('|');
    if (parts.length > 2) return undefined;
    const base = this.byName.get(parts[0]!.toLowerCase());
    if (base === undefined || parts.length === 1) return base;
    return base.subcommands?.get(parts[1]!.toLowerCase());
  }

  /** Gives lapse's command its id; a command Redis 7.0 lacks joins the index. */
  private link(spec: AclCommandSpec): void {
    let entry = this.lookup(spec.fullName);
    if (entry === undefined) {
      let mask = 0;
      for (const cat of spec.aclCategories) mask |= categoryBit(cat.slice(1));
      entry = this.add(spec.fullName, mask, false);
    }
    entry.spec = spec;
    entry.noAuth = spec.flags.has('no_auth');
    entry.channels = CHANNEL_COMMANDS[spec.fullName];
    spec.aclId = entry.id;
  }

  private add(fullName: string, categories: number, inRedis: boolean): AclCommand {
    const bar = fullName.indexOf('|');
    const parent = bar < 0 ? undefined : this.byName.get(fullName.slice(0, bar));
    if (bar >= 0 && parent === undefined) throw new Error(`ACL catalogue: ${fullName} before its container`);
    const cmd: AclCommand = {
      id: this.all.length,
      fullName,
      categories,
      parent,
      subcommands: undefined,
      inRedis,
      spec: undefined,
      noAuth: false,
      channels: undefined,
    };
    this.all.push(cmd);
    if (parent === undefined) {
      this.byName.set(fullName, cmd);
      this.topLevel.push(cmd);
    } else {
      if (parent.subcommands === undefined) (parent as { subcommands: Map<string, AclCommand> }).subcommands = new Map();
      parent.subcommands!.set(fullName.slice(bar + 1), cmd);
    }
    return cmd;
  }
}

