import { cString } from '../util/c-string.js';

/**
 * Where a command's keys are in its arguments, found with its key specs as Redis 7.0's
 * getKeysFromCommandWithSpecs (GET_KEYSPEC_DEFAULT) finds them; used by the ACL key
 * permission check and by COMMAND GETKEYS. It lives with ACL, the lowest layer that needs
 * it, and knows a command only by its name and key specs.
 */

/** A key spec as Redis 7 describes where keys are (COMMAND INFO, ACL key checks, COMMAND GETKEYS). */
export interface KeySpec {
  notes?: string;
  flags: string[];
  beginSearch: { type: 'index'; index: number } | { type: 'keyword'; keyword: string; startfrom: number } | { type: 'unknown' };
  findKeys:
    | { type: 'range'; lastkey: number; keystep: number; limit: number }
    | { type: 'keynum'; keynumidx: number; firstkey: number; keystep: number }
    | { type: 'unknown' };
}

/** What finding keys reads of a command (the command table's KeyedCommand is one). */
export interface KeyedCommand {
  readonly fullName: string;
  readonly keySpecs: readonly KeySpec[];
}

/** What a key spec says a command does with a key (CMD_KEY_* flags, as bits). */
export const KEY_ACCESS = 1;
export const KEY_UPDATE = 2;
export const KEY_INSERT = 4;
export const KEY_DELETE = 8;
const KEY_NOT_KEY = 16;
const KEY_VARIABLE_FLAGS = 32;
const KEY_RO = 64;
const KEY_RW = 128;
const KEY_OW = 256;
const KEY_RM = 512;
const KEY_INCOMPLETE = 1024;

/** Every key spec flag, in the order Redis prints them (addReplyFlagsForKeyArgs). */
const FLAG_BITS: Readonly<Record<string, number>> = {
  RO: KEY_RO,
  RW: KEY_RW,
  OW: KEY_OW,
  RM: KEY_RM,
  access: KEY_ACCESS,
  update: KEY_UPDATE,
  insert: KEY_INSERT,
  delete: KEY_DELETE,
  not_key: KEY_NOT_KEY,
  incomplete: KEY_INCOMPLETE,
  variable_flags: KEY_VARIABLE_FLAGS,
};

/** The names of a key's flags (KeyRefs.flags), as COMMAND GETKEYSANDFLAGS prints them. */
export function keyFlagNames(bits: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(FLAG_BITS)) if (bits & bit) names.push(name);
  return names;
}

/** A command's key specs as bits, found once per command. */
interface CommandKeys {
  readonly specs: readonly KeySpec[];
  /** KEY_* bits of each spec. */
  readonly bits: readonly number[];
  /** A spec for real keys exists (Redis's doesCommandHaveKeys). */
  readonly hasKeys: boolean;
  /** The command's own key function, when its key flags depend on its arguments. */
  readonly own: ((argv: readonly string[], out: KeyRefs) => void) | undefined;
  /** Its getkeys proc, run when a spec cannot be resolved (Redis's fallback). */
  readonly fallback: ((argv: readonly string[], out: KeyRefs) => void) | undefined;
}

/** A command's key specs read into bits (and its own key function, if it needs one). */
function compileKeys(cmd: KeyedCommand): CommandKeys {
  const bits = cmd.keySpecs.map((spec) => {
    let b = 0;
    for (const f of spec.flags) b |= FLAG_BITS[f] ?? 0;
    return b;
  });
  const varFlags = bits.some((b) => b & KEY_VARIABLE_FLAGS);
  return {
    specs: cmd.keySpecs,
    bits,
    hasKeys: bits.some((b) => (b & KEY_NOT_KEY) === 0),
    // A command without its own function here finds no keys, as one without getkeys_proc in Redis.
    own: varFlags ? (OWN_KEY_FUNCTIONS[cmd.fullName] ?? (() => undefined)) : undefined,
    fallback: FALLBACK_KEY_FUNCTIONS[cmd.fullName],
  };
}

/**
 * Finds the keys of a server's commands: each command's key specs are read into bits
 * once, on first use, and kept here. One per server (its Acl holds it), as the commands
 * it caches are that server's.
 */
export class KeyFinder {
  private readonly compiled = new Map<KeyedCommand, CommandKeys>();

  private keysOf(cmd: KeyedCommand): CommandKeys {
    let keys = this.compiled.get(cmd);
    if (keys === undefined) this.compiled.set(cmd, (keys = compileKeys(cmd)));
    return keys;
  }

  /** Whether the command has a key spec for real keys (Redis's doesCommandHaveKeys). */
  hasKeys(cmd: KeyedCommand): boolean {
    return this.keysOf(cmd).hasKeys;
  }

  /**
   * Fills `out` with the keys of argv (argv[0] is the command name). As Redis: a command
   * whose key flags depend on its arguments (SET's GET) uses its own key function; a spec
   * that cannot be resolved (bad key count, bounds outside argv) means no keys at all, and
   * the command itself then reports the error.
   */
  find(cmd: KeyedCommand, argv: readonly string[], out: KeyRefs): void {
    out.count = 0;
    const keys = this.keysOf(cmd);
    if (keys.own !== undefined) keys.own(argv, out);
    else if (!fromSpecs(keys, argv, out)) {
      // getKeysFromCommandWithSpecs: an unresolvable spec falls back to the getkeys proc.
      out.count = 0;
      keys.fallback?.(argv, out);
    }
  }
}

/**
 * Keys found in an argv: positions and what the command does with each (KEY_* bits).
 * Reused from call to call (the check is synchronous), so finding keys allocates nothing.
 */
export class KeyRefs {
  readonly positions: number[] = [];
  readonly flags: number[] = [];
  count = 0;

  add(pos: number, flags: number): void {
    this.positions[this.count] = pos;
    this.flags[this.count] = flags;
    this.count++;
  }
}

/** Redis's getKeysUsingKeySpecs; false when a spec cannot be resolved. */
function fromSpecs(keys: CommandKeys, argv: readonly string[], out: KeyRefs): boolean {
  const argc = argv.length;
  for (let s = 0; s < keys.specs.length; s++) {
    const spec = keys.specs[s]!;
    const bits = keys.bits[s]!;
    if (bits & KEY_NOT_KEY) continue;
    let first = 0;
    const bs = spec.beginSearch;
    if (bs.type === 'index') {
      first = bs.index;
    } else if (bs.type === 'keyword') {
      const start = bs.startfrom > 0 ? bs.startfrom : argc + bs.startfrom;
      const end = bs.startfrom > 0 ? argc - 1 : 0;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (asciiEqualsIgnoreCase(argv[i]!, bs.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return false;
    }
    let last: number;
    let step: number;
    const fk = spec.findKeys;
    if (fk.type === 'range') {
      step = fk.keystep;
      if (fk.lastkey >= 0) last = first + fk.lastkey;
      else if (fk.limit === 0) last = argc + fk.lastkey;
      else last = first + (Math.trunc((argc - first) / fk.limit) + fk.lastkey);
    } else if (fk.type === 'keynum') {
      step = fk.keystep;
      const idx = first + fk.keynumidx;
      if (idx >= argc) return false;
      const count = /^(0|-?[1-9][0-9]{0,18})$/.test(argv[idx]!) ? Number(argv[idx]) : NaN;
      if (!(count >= 0)) return false;
      first += fk.firstkey;
      last = first + count - 1;
    } else {
      return false;
    }
    if (last >= argc || last < first || first >= argc) return false;
    // The spec's flags, all of them (COMMAND GETKEYSANDFLAGS prints them; ACL reads the operation bits).
    for (let i = first; i <= last; i += step) out.add(i, bits);
  }
  return true;
}

/** Key functions of commands whose key flags depend on their arguments (getkeys_proc). */
const OWN_KEY_FUNCTIONS: Readonly<Record<string, (argv: readonly string[], out: KeyRefs) => void>> = {
  /** SET (setGetKeys): the key is read too only with GET (a C string, so "get\0x" counts). */
  set(argv, out) {
    for (let i = 3; i < argv.length; i++) {
      if (asciiEqualsIgnoreCase(argv[i]!, 'get')) {
        out.add(1, KEY_RW | KEY_ACCESS | KEY_UPDATE);
        return;
      }
    }
    out.add(1, KEY_OW | KEY_UPDATE);
  },
  /**
   * BITFIELD (bitfieldGetKeys): read-only while only GET and OVERFLOW come before the
   * first SET or INCRBY; a syntax error counts as a write, to be safe.
   */
  bitfield(argv, out) {
    let readonly = true;
    for (let i = 2; i < argv.length; i++) {
      const remaining = argv.length - i - 1;
      const arg = argv[i]!;
      if (asciiEqualsIgnoreCase(arg, 'get') && remaining >= 2) i += 2;
      else if ((asciiEqualsIgnoreCase(arg, 'set') || asciiEqualsIgnoreCase(arg, 'incrby')) && remaining >= 3) {
        readonly = false;
        break;
      } else if (asciiEqualsIgnoreCase(arg, 'overflow') && remaining >= 1) i += 1;
      else {
        readonly = false;
        break;
      }
    }
    out.add(1, readonly ? KEY_RO | KEY_ACCESS : KEY_RW | KEY_ACCESS | KEY_UPDATE);
  },
};

/**
 * getkeys procs of commands with a spec Redis cannot resolve ("unknown" begin_search):
 * Redis 7.0 runs them when the specs fail. Only those lapse has are here.
 */
const FALLBACK_KEY_FUNCTIONS: Readonly<Record<string, (argv: readonly string[], out: KeyRefs) => void>> = {
  /**
   * SORT (db.c sortGetKeys): the sorted key, and the argument after the last STORE that
   * has one; LIMIT, GET and BY skip their arguments, any other word is taken alone.
   */
  sort(argv, out) {
    out.add(1, KEY_RO | KEY_ACCESS);
    let store = 0;
    for (let i = 2; i < argv.length; i++) {
      const arg = argv[i]!;
      if (asciiEqualsIgnoreCase(arg, 'limit')) i += 2;
      else if (asciiEqualsIgnoreCase(arg, 'get') || asciiEqualsIgnoreCase(arg, 'by')) i += 1;
      else if (asciiEqualsIgnoreCase(arg, 'store') && i + 1 < argv.length) store = i + 1;
    }
    if (store !== 0) out.add(store, KEY_OW | KEY_UPDATE);
  },
  /** SORT_RO (sortROGetKeys): only the sorted key. */
  sort_ro(_argv, out) {
    out.add(1, KEY_RO | KEY_ACCESS);
  },
};

/** strcasecmp(a, b) == 0 for an argument and an ASCII keyword: C string, ASCII case. */
function asciiEqualsIgnoreCase(a: string, b: string): boolean {
  a = cString(a);
  return a.length === b.length && a.replace(/[A-Z]+/g, (m) => m.toLowerCase()) === b.toLowerCase();
}
