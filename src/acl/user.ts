import crypto from 'node:crypto';
import { KEY_ACCESS, KEY_DELETE, KEY_INSERT, KEY_UPDATE, KeyRefs, type KeyFinder } from './key-specs.js';
import { globMatch } from '../util/glob.js';
import { splitArgs } from '../util/split-args.js';
import { ACL_CATEGORIES, type AclCommand, type AclCommandIndex, type AclCommandSpec, categoryBit } from './command-index.js';
import { cString } from '../util/c-string.js';

/**
 * ACL users as Redis 7.0 has them (acl.c): flags, password hashes, and selectors. A
 * selector grants commands (a bitmap over the command index, plus first arguments of
 * commands without subcommands, as `+select|0`), key patterns (with read/write
 * permissions) and channel patterns; the first selector is the user's root, written
 * outside parentheses, and a command is allowed if any selector allows it.
 */

/** Why a rule was refused: Redis's errno values, worded by aclRuleErrorReason (errors.ts). */
export type AclRuleError = 'ENOENT' | 'EINVAL' | 'EEXIST' | 'EISDIR' | 'ENODEV' | 'EBADMSG' | 'ECHILD' | 'EALREADY';

/** What a user's ACL rules need from their surroundings (the Acl implements it). */
export interface AclSettings {
  readonly index: AclCommandIndex;
  /** acl-pubsub-default: new selectors start with every channel (allchannels) or none. */
  readonly allChannelsByDefault: boolean;
  /** Log line for a deprecated rule (`+command|first-arg`). */
  warn(message: string): void;
  /** The keys of the command being checked (one buffer per server: checks are synchronous). */
  readonly checkedKeys: KeyCache;
  /**
   * Where the last refused check found the key or channel it denied: an index into the
   * argv it was given (Redis's idxptr), read right after User.check.
   */
  deniedIndex: number;
}

/** Key pattern permissions. */
export const KEY_READ = 1;
export const KEY_WRITE = 2;
const KEY_READ_WRITE = KEY_READ | KEY_WRITE;

export interface KeyPattern {
  readonly pattern: string;
  flags: number;
  /** For a pattern that is a plain prefix and a final '*' ("sess:*"): the prefix. */
  readonly prefix: string | null;
}

function keyPattern(pattern: string, flags: number): KeyPattern {
  return { pattern, flags, prefix: /^[^*?[\\]*\*$/.test(pattern) ? pattern.slice(0, -1) : null };
}

/** The result of a permission check (Redis's ACL_OK and ACL_DENIED_*; higher wins in reports). */
export const ACL_OK = 0;
export const ACL_DENIED_CMD = 1;
export const ACL_DENIED_KEY = 2;
export const ACL_DENIED_AUTH = 3;
export const ACL_DENIED_CHANNEL = 4;

export class Selector {
  /** SELECTOR_FLAG_ALLCOMMANDS: cleared by any command taken away, even if given back. */
  allCommands = false;
  allKeys = false;
  allChannels: boolean;
  /** 1 per allowed command id; the last byte is "future commands", set only by +@all. */
  allowed: Uint8Array;
  /** First arguments allowed for a command whose bit is not set, by command id. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(
    readonly settings: AclSettings,
    readonly root: boolean,
  ) {
    this.allowed = new Uint8Array(settings.index.size + 1);
    this.allChannels = settings.allChannelsByDefault;
  }

  copy(): Selector {
    const s = new Selector(this.settings, this.root);
    s.allCommands = this.allCommands;
    s.allKeys = this.allKeys;
    s.allChannels = this.allChannels;
    s.allowed.set(this.allowed);
    if (this.firstArgs !== null) s.firstArgs = new Map([...this.firstArgs].map(([id, args]) => [id, [...args]]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  private get futureBit(): number {
    return this.allowed.length - 1;
  }

  /** Whether +@all (or allcommands) was the last word on all commands (ACLSelectorCanExecuteFutureCommands). */
  get canRunFutureCommands(): boolean {
    return this.allowed[this.futureBit] === 1;
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  /** Allows or denies a command, and a container's subcommands with it; forgets its first arguments. */
  changePerm(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs?.delete(cmd.id);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) this.setBit(sub.id, allow);
  }

  /** +@category / -@category: every command in it, and a container's subcommands with it. */
  setCategory(bit: number, allow: boolean): void {
    for (const cmd of this.settings.index.topLevel) {
      if (cmd.categories & bit) this.changePerm(cmd, allow);
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) if (sub.categories & bit) this.changePerm(sub, allow);
    }
  }

  private setAll(allow: boolean): void {
    this.allowed.fill(allow ? 1 : 0);
    this.allCommands = allow;
    this.firstArgs = null;
  }

  /** Commands of a category (as counted by Redis's table) this selector allows and denies. */
  countCategory(bit: number): { on: number; off: number } {
    let on = 0;
    let off = 0;
    const count = (cmd: AclCommand) => {
      if (!cmd.inRedis || !(cmd.categories & bit)) return;
      if (this.allowed[cmd.id]) on++;
      else off++;
    };
    for (const cmd of this.settings.index.topLevel) {
      count(cmd);
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) count(sub);
    }
    return { on, off };
  }

  /** One selector rule (Redis's ACLSetSelector); op is the rule's bytes. */
  apply(op: string): AclRuleError | null {
    const word = cString(op).toLowerCase();
    if (word === 'allkeys' || word === '~*') {
      this.allKeys = true;
      this.patterns = [];
    } else if (word === 'resetkeys') {
      this.allKeys = false;
      this.patterns = [];
    } else if (word === 'allchannels' || word === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (word === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (word === 'allcommands' || word === '+@all') {
      this.setAll(true);
    } else if (word === 'nocommands' || word === '-@all') {
      this.setAll(false);
    } else if (op[0] === '~' || op[0] === '%') {
      return this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if (this.allChannels) return 'EISDIR';
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) return 'EINVAL';
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      return this.allowCommand(cString(op.slice(1)));
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = this.settings.index.lookup(cString(op.slice(1)));
      if (cmd === undefined) return 'ENOENT';
      this.changePerm(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const bit = categoryBit(op.slice(2));
      if (bit === 0) return 'ENOENT';
      this.setCategory(bit, op[0] === '+');
    } else {
      return 'EINVAL';
    }
    return null;
  }

  /** ~pattern (read and write), %R~pattern, %W~pattern, %RW~pattern. */
  private addKeyPattern(op: string): AclRuleError | null {
    if (this.allKeys) return 'EEXIST';
    let flags = 0;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const ch = op[offset]!;
        const upper = ch.toUpperCase();
        if (upper === 'R' && !(flags & KEY_READ)) flags |= KEY_READ;
        else if (upper === 'W' && !(flags & KEY_WRITE)) flags |= KEY_WRITE;
        else if (ch === '~') {
          offset++;
          break;
        } else return 'EINVAL';
      }
      if (flags === 0) return 'EINVAL';
    } else {
      flags = KEY_READ_WRITE;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) return 'EINVAL';
    const existing = this.patterns.find((p) => p.pattern === pattern);
    if (existing !== undefined) existing.flags |= flags;
    else this.patterns.push(keyPattern(pattern, flags));
    this.allKeys = false;
    return null;
  }

  /** +command, +container|subcommand, or +command|first-arg (deprecated in Redis 7.0). */
  private allowCommand(name: string): AclRuleError | null {
    const index = this.settings.index;
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const cmd = index.lookup(name);
      if (cmd === undefined) return 'ENOENT';
      this.changePerm(cmd, true);
      return null;
    }
    const cmd = index.lookup(name.slice(0, bar));
    if (cmd === undefined) return 'ENOENT';
    if (cmd.parent !== undefined) return 'ECHILD';
    const sub = name.slice(bar + 1);
    if (sub.length === 0) return 'EINVAL';
    if (cmd.subcommands !== undefined) {
      const subcommand = index.lookup(name);
      if (subcommand === undefined) return 'ENOENT';
      this.changePerm(subcommand, true);
      return null;
    }
    this.settings.warn(
      'Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL ' +
        `and may get disabled in the future (offender: +${name})`,
    );
    this.firstArgs ??= new Map();
    const args = this.firstArgs.get(cmd.id);
    if (args === undefined) this.firstArgs.set(cmd.id, [sub]);
    else if (!args.some((a) => asciiLower(a) === asciiLower(sub))) args.push(sub);
    return null;
  }

  /** This selector's command rules as ACL SETUSER would take them (ACLDescribeSelectorCommandRules). */
  describeCommands(): string {
    // Redis's trick: apply the rules being written to a fake selector as they are chosen,
    // so the differences left tell what else to write. Categories are fitted first (one at
    // a time, the one closest to the selector's bits), then single commands fix the rest.
    const fake = new Selector(this.settings, false);
    const additive = !this.canRunFutureCommands;
    let rules = additive ? '-@all ' : '+@all ';
    fake.apply(additive ? '-@all' : '+@all');
    const temp = new Selector(this.settings, false);
    temp.allowed.set(this.allowed);
    const applied = new Array<boolean>(ACL_CATEGORIES.length).fill(false);
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (let j = 0; j < ACL_CATEGORIES.length; j++) {
        if (applied[j]) continue;
        const { on, off } = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best === -1) break;
      const name = ACL_CATEGORIES[best]!;
      fake.setCategory(1 << best, additive);
      temp.setCategory(1 << best, !additive);
      rules += `${additive ? '+@' : '-@'}${name} `;
      applied[best] = true;
    }
    rules = this.describeSingleCommands(fake, rules, this.settings.index.topLevel);
    rules = rules.slice(0, -1);
    for (let id = 0; id < this.allowed.length; id++) {
      if (fake.allowed[id] !== this.allowed[id]) throw new Error(`ACL rules do not reproduce the bitmap: '${rules}'`);
    }
    return rules;
  }

  private describeSingleCommands(fake: Selector, rules: string, commands: Iterable<AclCommand>): string {
    for (const cmd of commands) {
      const bit = this.allowed[cmd.id]!;
      if (bit !== fake.allowed[cmd.id]) {
        rules += `${bit ? '+' : '-'}${cmd.fullName} `;
        fake.changePerm(cmd, bit === 1);
      }
      if (cmd.subcommands) rules = this.describeSingleCommands(fake, rules, cmd.subcommands.values());
      const firstArgs = bit === 0 ? this.firstArgs?.get(cmd.id) : undefined;
      if (firstArgs !== undefined) for (const arg of firstArgs) rules += `+${cmd.fullName}|${arg} `;
    }
    return rules;
  }

  /** The key patterns as ACL GETUSER's "keys" shows them. */
  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.patterns.map(patternString).join(' ');
  }

  /** The channel patterns as ACL GETUSER's "channels" shows them. */
  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((c) => `&${c}`).join(' ');
  }

  /** The whole selector as ACL LIST shows it (ACLDescribeSelector). */
  describe(): string {
    let out = '';
    if (this.allKeys) out += '~* ';
    else for (const p of this.patterns) out += `${patternString(p)} `;
    if (this.allChannels) out += '&* ';
    else {
      out += 'resetchannels ';
      for (const c of this.channels) out += `&${c} `;
    }
    return out + this.describeCommands();
  }

  /** ACLSelectorCheckCmd: ACL_OK or why the command is denied (settings.deniedIndex says where). */
  check(cmd: AclCommandSpec, argv: readonly string[], keys: KeyCache): number {
    const entry = this.settings.index.all[cmd.aclId]!;
    if (!this.allCommands && !entry.noAuth && this.allowed[cmd.aclId] === 0) {
      const firstArgs = argv.length < 2 ? undefined : this.firstArgs?.get(cmd.aclId);
      if (firstArgs === undefined) return ACL_DENIED_CMD;
      const arg = asciiLower(cString(argv[cmd.parent ? 2 : 1]!));
      if (!firstArgs.some((a) => asciiLower(a) === arg)) return ACL_DENIED_CMD;
    }
    if (!this.allKeys && keys.hasKeys(cmd)) {
      const refs = keys.refs(cmd, argv);
      for (let i = 0; i < refs.count; i++) {
        const pos = refs.positions[i]!;
        if (!this.keyAllowed(argv[pos]!, refs.flags[i]!)) {
          this.settings.deniedIndex = pos;
          return ACL_DENIED_KEY;
        }
      }
    }
    if (!this.allChannels) {
      const kind = entry.channels;
      if (kind !== undefined) {
        const last = kind === 'first' ? 2 : argv.length;
        for (let j = 1; j < last; j++) {
          if (!channelAllowed(this.channels, argv[j]!, kind === 'patterns')) {
            this.settings.deniedIndex = j;
            return ACL_DENIED_CHANNEL;
          }
        }
      }
    }
    return ACL_OK;
  }

  /**
   * ACLSelectorHasUnrestrictedKeyAccess: the selector reaches every key, by allkeys or by
   * the pattern "*" with at least the permissions `keyFlags` (KEY_* bits) need.
   */
  hasUnrestrictedKeyAccess(keyFlags: number): boolean {
    if (this.allKeys) return true;
    let needed = 0;
    if (keyFlags & KEY_ACCESS) needed |= KEY_READ;
    if (keyFlags & (KEY_INSERT | KEY_DELETE | KEY_UPDATE)) needed |= KEY_WRITE;
    return this.patterns.some((p) => (p.flags & needed) === needed && p.pattern === '*');
  }

  /** ACLSelectorCheckKey: a pattern with at least the permissions the access needs matches. */
  keyAllowed(key: string, keyFlags: number): boolean {
    if (this.allKeys) return true;
    let needed = 0;
    if (keyFlags & KEY_ACCESS) needed |= KEY_READ;
    if (keyFlags & (KEY_INSERT | KEY_DELETE | KEY_UPDATE)) needed |= KEY_WRITE;
    for (const p of this.patterns) {
      if ((p.flags & needed) !== needed) continue;
      // The glob matches no empty key, not even with "*" (%RW~*, unlike ~*, is a pattern).
      if (p.prefix !== null ? key.length > 0 && key.startsWith(p.prefix) : globMatch(p.pattern, key)) return true;
    }
    return false;
  }
}

/** ACLCheckChannelAgainstList: a glob match, or for a pattern (literal) the same pattern. */
export function channelAllowed(patterns: readonly string[], channel: string, literal: boolean): boolean {
  for (const p of patterns) {
    if (literal ? cString(p) === cString(channel) : globMatch(p, channel)) return true;
  }
  return false;
}

/**
 * The keys of the command being checked, found once for all of a user's selectors (Redis's
 * aclKeyResultCache), into a buffer reused from check to check.
 */
export class KeyCache {
  private readonly buffer = new KeyRefs();
  private found = false;

  constructor(private readonly finder: KeyFinder) {}

  reset(): void {
    this.found = false;
  }

  hasKeys(cmd: AclCommandSpec): boolean {
    return this.finder.hasKeys(cmd);
  }

  refs(cmd: AclCommandSpec, argv: readonly string[]): KeyRefs {
    if (!this.found) {
      this.finder.find(cmd, argv, this.buffer);
      this.found = true;
    }
    return this.buffer;
  }
}

/** User flags, in the order ACL GETUSER and ACL LIST print them. */
const USER_ENABLED = 1;
const USER_DISABLED = 2;
const USER_NOPASS = 4;
const USER_SANITIZE_SKIP = 8;
const USER_SANITIZE = 16;
const FLAG_NAMES: readonly [number, string][] = [
  [USER_ENABLED, 'on'],
  [USER_DISABLED, 'off'],
  [USER_NOPASS, 'nopass'],
  [USER_SANITIZE_SKIP, 'skip-sanitize-payload'],
  [USER_SANITIZE, 'sanitize-payload'],
];

export class User {
  /** A new user is off, with no password, no command, no key; channels per acl-pubsub-default. */
  flags = USER_DISABLED;
  /** SHA-256 hashes, lowercase hex, in the order they were added. */
  passwords: string[] = [];
  /** The root selector first. */
  selectors: Selector[];
  /**
   * The root selector allows every command, key and channel: the dispatcher skips the
   * permission check (the default user's case). Kept up to date by every change.
   */
  unrestricted = false;

  constructor(
    readonly name: string,
    readonly settings: AclSettings,
  ) {
    this.selectors = [new Selector(settings, true)];
  }

  get root(): Selector {
    return this.selectors[0]!;
  }

  get enabled(): boolean {
    return (this.flags & USER_DISABLED) === 0;
  }

  get nopass(): boolean {
    return (this.flags & USER_NOPASS) !== 0;
  }

  /** The flag names, as ACL GETUSER lists them. */
  flagNames(): string[] {
    return FLAG_NAMES.filter(([bit]) => this.flags & bit).map(([, name]) => name);
  }

  /** Takes another user's rules, keeping its own name (ACLCopyUser). */
  copyFrom(other: User): void {
    this.flags = other.flags;
    this.passwords = [...other.passwords];
    this.selectors = other.selectors.map((s) => s.copy());
    this.updateUnrestricted();
  }

  updateUnrestricted(): void {
    const root = this.root;
    this.unrestricted = root.allCommands && root.allKeys && root.allChannels;
  }

  /** One rule of ACL SETUSER (Redis's ACLSetUser); op is the rule's bytes. */
  apply(op: string): AclRuleError | null {
    const error = this.applyRule(op);
    this.updateUnrestricted();
    return error;
  }

  private applyRule(op: string): AclRuleError | null {
    if (op.length === 0) return null;
    const word = cString(op).toLowerCase();
    if (word === 'on') {
      this.flags = (this.flags | USER_ENABLED) & ~USER_DISABLED;
    } else if (word === 'off') {
      this.flags = (this.flags | USER_DISABLED) & ~USER_ENABLED;
    } else if (word === 'skip-sanitize-payload') {
      this.flags = (this.flags | USER_SANITIZE_SKIP) & ~USER_SANITIZE;
    } else if (word === 'sanitize-payload') {
      this.flags = (this.flags | USER_SANITIZE) & ~USER_SANITIZE_SKIP;
    } else if (word === 'nopass') {
      this.flags |= USER_NOPASS;
      this.passwords = [];
    } else if (word === 'resetpass') {
      this.flags &= ~USER_NOPASS;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let hash: string;
      if (op[0] === '>') hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!isPasswordHash(hash)) return 'EBADMSG';
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags &= ~USER_NOPASS;
    } else if (op[0] === '<' || op[0] === '!') {
      let hash: string;
      if (op[0] === '<') hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!isPasswordHash(hash)) return 'EBADMSG';
      }
      const at = this.passwords.indexOf(hash);
      if (at < 0) return 'ENODEV';
      this.passwords.splice(at, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const selector = new Selector(this.settings, false);
      // An argument list that does not split (unbalanced quotes) is an empty selector, as in Redis.
      for (const rule of splitArgs(op.slice(1, -1)) ?? []) {
        const error = selector.apply(rule);
        if (error !== null) return error;
      }
      this.selectors.push(selector);
    } else if (word === 'clearselectors') {
      this.selectors.length = 1;
    } else if (word === 'reset') {
      this.applyRule('resetpass');
      this.applyRule('resetkeys');
      this.applyRule('resetchannels');
      if (this.settings.allChannelsByDefault) this.applyRule('allchannels');
      this.applyRule('off');
      this.applyRule('sanitize-payload');
      this.applyRule('clearselectors');
      this.applyRule('-@all');
    } else {
      return this.root.apply(op);
    }
    return null;
  }

  /**
   * Whether the password opens this user (ACLCheckUserCredentials, after the enabled
   * check): a nopass user takes any; otherwise its SHA-256 must equal a stored hash,
   * compared in constant time.
   */
  passwordMatches(password: string): boolean {
    if (this.nopass) return true;
    const given = Buffer.from(hashPassword(password), 'latin1');
    let match = false;
    for (const hash of this.passwords) {
      if (crypto.timingSafeEqual(given, Buffer.from(hash, 'latin1'))) match = true;
    }
    return match;
  }

  /** The user as ACL LIST and the ACL file show it, after "user <name> " (ACLDescribeUser). */
  describe(): string {
    let out = '';
    for (const name of this.flagNames()) out += `${name} `;
    for (const hash of this.passwords) out += `#${hash} `;
    for (const s of this.selectors) out += s.root ? s.describe() : ` (${s.describe()})`;
    return out;
  }

  /**
   * Whether this user may run the command with these arguments: ACL_OK, or the most
   * relevant refusal over its selectors (a key or channel refusal beats a command one;
   * settings.deniedIndex then names the argument), as Redis's ACLCheckAllUserCommandPerm.
   */
  check(cmd: AclCommandSpec, argv: readonly string[]): number {
    const settings = this.settings;
    const keyCache = settings.checkedKeys;
    let relevant = ACL_DENIED_CMD;
    let lastIndex = 0;
    keyCache.reset();
    settings.deniedIndex = 0;
    for (const s of this.selectors) {
      const result = s.check(cmd, argv, keyCache);
      if (result === ACL_OK) return ACL_OK;
      if (result > relevant || (result === relevant && settings.deniedIndex > lastIndex)) {
        relevant = result;
        lastIndex = settings.deniedIndex;
      }
    }
    settings.deniedIndex = lastIndex;
    return relevant;
  }

  /**
   * ACLUserCheckCmdWithUnrestrictedKeyAccess: some selector allows the command with these
   * arguments and reaches every key with the permissions `keyFlags` need. SORT asks it
   * before following BY and GET patterns, whose keys no key spec names.
   */
  checkWithUnrestrictedKeys(cmd: AclCommandSpec, argv: readonly string[], keyFlags: number): boolean {
    const keyCache = this.settings.checkedKeys;
    keyCache.reset();
    for (const s of this.selectors) {
      if (s.check(cmd, argv, keyCache) === ACL_OK && s.hasUnrestrictedKeyAccess(keyFlags)) return true;
    }
    return false;
  }
}

/** SHA-256 of the password's bytes, as lowercase hex (ACLHashPassword). */
export function hashPassword(password: string): string {
  return crypto.createHash('sha256').update(password, 'latin1').digest('hex');
}

/** 64 characters of 0-9 and a-f (ACLCheckPasswordHash). */
function isPasswordHash(hash: string): boolean {
  return /^[0-9a-f]{64}$/.test(hash);
}

/** A key pattern with its permission prefix (sdsCatPatternString). */
function patternString(p: KeyPattern): string {
  const prefix = p.flags === KEY_READ_WRITE ? '~' : p.flags === KEY_READ ? '%R~' : '%W~';
  return prefix + p.pattern;
}

/**
 * Whether a user name or pattern contains whitespace (C's isspace) or NUL: refused, so
 * that rules print back unambiguously (ACLStringHasSpaces).
 */
export function hasSpaces(s: string): boolean {
  return /[\0\t\n\v\f\r ]/.test(s);
}

/** ASCII-only lowercase, as strcasecmp compares. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
