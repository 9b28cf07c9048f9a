import { splitArgs } from '../util/split-args.js';
import {
  ERR_SHEBANG_ENGINE_INVALID,
  ERR_SHEBANG_INVALID,
  errShebangEngine,
  errShebangFlag,
  errShebangOption,
} from './script-errors.js';

/**
 * A script's flags, as eval.c evalExtractShebangFlags reads them from a first line
 * `#!lua flags=no-writes,allow-oom,...`. A script without a shebang runs in Redis's
 * EVAL compatibility mode (SCRIPT_FLAG_EVAL_COMPAT_MODE): its command flags are EVAL's
 * own and writes are checked at each call instead of before the run.
 */
export interface ScriptFlags {
  /** No shebang: Redis's SCRIPT_FLAG_EVAL_COMPAT_MODE. */
  readonly compat: boolean;
  readonly noWrites: boolean;
  readonly allowOom: boolean;
  readonly allowStale: boolean;
  readonly noCluster: boolean;
  readonly allowCrossSlot: boolean;
}

export const COMPAT_FLAGS: ScriptFlags = {
  compat: true, noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlot: false,
};

/** The flag names (script.c scripts_flags_def, in its order), to the field each sets. */
export const FLAG_NAMES: ReadonlyMap<string, keyof ScriptFlags> = new Map([
  ['no-writes', 'noWrites'],
  ['allow-oom', 'allowOom'],
  ['allow-stale', 'allowStale'],
  ['no-cluster', 'noCluster'],
  ['allow-cross-slot-keys', 'allowCrossSlot'],
]);

/**
 * The flags of a script body and the length of its shebang line (0 without one; the
 * line feed is kept in the compiled body so line numbers stay the user's), or the
 * error reply Redis gives for a bad shebang.
 */
export function parseShebang(body: string): { flags: ScriptFlags; shebangLength: number } | { error: string } {
  if (!body.startsWith('#!')) return { flags: COMPAT_FLAGS, shebangLength: 0 };
  const end = body.indexOf('\n');
  if (end < 0) return { error: ERR_SHEBANG_INVALID };
  const parts = splitArgs(body.slice(0, end));
  if (parts === null || parts.length === 0) return { error: ERR_SHEBANG_ENGINE_INVALID };
  if (parts[0] !== '#!lua') return { error: errShebangEngine(parts[0]!) };
  const flags: { -readonly [K in keyof ScriptFlags]: ScriptFlags[K] } = { ...COMPAT_FLAGS, compat: false };
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return { error: errShebangOption(part) };
    // sdssplitlen over an empty string gives no element: `flags=` alone sets nothing.
    const list = part.slice(6);
    if (list === '') continue;
    for (const name of list.split(',')) {
      const field = FLAG_NAMES.get(name);
      if (field === undefined) return { error: errShebangFlag(name) };
      flags[field] = true;
    }
  }
  return { flags, shebangLength: end };
}
