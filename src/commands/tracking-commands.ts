import type { Client } from './context.js';
import { cmd, type CommandDefinition } from './declare.js';
import {
  ERR_CACHING_NO_NOT_OPTOUT,
  ERR_CACHING_NOT_TRACKING,
  ERR_CACHING_YES_NOT_OPTIN,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_TRACKING_NO_REDIRECT_TARGET,
  ERR_TRACKING_ONE_REDIRECT,
  ERR_TRACKING_OPT_WITH_BCAST,
  ERR_TRACKING_OPTIN_AND_OPTOUT,
  ERR_TRACKING_PREFIX_NEEDS_BCAST,
  ERR_TRACKING_SWITCH_BCAST,
  ERR_TRACKING_SWITCH_OPT,
  errPrefixOverlapsExisting,
  errPrefixOverlapsProvided,
} from './errors.js';
import { optionName } from './args.js';
import type { TrackingOptions } from './tracking.js';
import { parseI64 } from '../util/numbers.js';

/**
 * CLIENT subcommands of client-side caching (networking.c): TRACKING, CACHING, GETREDIR,
 * TRACKINGINFO. Declared in connection-commands.ts's CLIENT container; the tracking
 * itself is tracking.ts.
 */

/**
 * The options of CLIENT TRACKING, read as Redis reads them (any order, case-insensitive);
 * null once an error is answered. REDIRECT's client must exist now.
 */
function parseTrackingOptions(c: Client, argv: string[]): TrackingOptions | null {
  const options: TrackingOptions = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = optionName(argv[j]!);
    if (option === 'redirect' && more > 0) {
      j++;
      if (options.redirect !== 0) {
        c.reply.error(ERR_TRACKING_ONE_REDIRECT);
        return null;
      }
      const id = parseI64(argv[j]!);
      if (id === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      const target = typeof id === 'number' ? c.server.clientById(id) : undefined;
      if (target === undefined) {
        c.reply.error(ERR_TRACKING_NO_REDIRECT_TARGET);
        return null;
      }
      options.redirect = target.id;
    } else if (option === 'bcast') {
      options.bcast = true;
    } else if (option === 'optin') {
      options.optin = true;
    } else if (option === 'optout') {
      options.optout = true;
    } else if (option === 'noloop') {
      options.noloop = true;
    } else if (option === 'prefix' && more > 0) {
      options.prefixes.push(argv[++j]!);
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return options;
}

/** Whether two prefixes would both match some key: one starts the other (stringCheckPrefix). */
function overlaps(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/**
 * checkPrefixCollisionsOrReply: a new prefix may not overlap one the client has, nor
 * another new one. 'refused' after answering the error; 'ok'; or, as Redis 7.0 does
 * when the overlap is between two new prefixes and the first of them is not the first
 * given (it returns the index as success), 'answered-but-go-on': the error is sent and
 * tracking is enabled anyway, followed by +OK.
 */
function checkPrefixes(c: Client, prefixes: readonly string[]): 'ok' | 'refused' | 'answered-but-go-on' {
  const existing = c.tracking?.prefixes ? [...c.tracking.prefixes].sort() : [];
  for (let i = 0; i < prefixes.length; i++) {
    const prefix = prefixes[i]!;
    for (const other of existing) {
      if (overlaps(other, prefix)) {
        c.reply.error(errPrefixOverlapsExisting(prefix, other));
        return 'refused';
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlaps(prefix, prefixes[j]!)) {
        c.reply.error(errPrefixOverlapsProvided(prefix, prefixes[j]!));
        return i === 0 ? 'refused' : 'answered-but-go-on';
      }
    }
  }
  return 'ok';
}

/**
 * CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]]
 *                 [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
 *
 * ON checks, in Redis's order: PREFIX needs BCAST; BCAST cannot be switched on or off
 * while tracking; OPTIN/OPTOUT are not for BCAST, not both, and not switched while
 * tracking; BCAST prefixes may not overlap. Turning it on again while on keeps the mode
 * and adds prefixes. OFF forgets the client's tracking.
 */
function clientTracking(c: Client, argv: string[]): void {
  const options = parseTrackingOptions(c, argv);
  if (options === null) return;
  const mode = optionName(argv[2]!);
  const tracking = c.server.tracking;
  if (mode === 'on') {
    const t = c.tracking;
    let error: string | null = null;
    if (!options.bcast && options.prefixes.length !== 0) error = ERR_TRACKING_PREFIX_NEEDS_BCAST;
    else if (t !== null && t.bcast !== options.bcast) error = ERR_TRACKING_SWITCH_BCAST;
    else if (options.bcast && (options.optin || options.optout)) error = ERR_TRACKING_OPT_WITH_BCAST;
    else if (options.optin && options.optout) error = ERR_TRACKING_OPTIN_AND_OPTOUT;
    else if (t !== null && ((options.optin && t.optout) || (options.optout && t.optin))) error = ERR_TRACKING_SWITCH_OPT;
    if (error !== null) {
      c.reply.error(error);
      return;
    }
    if (options.bcast && checkPrefixes(c, options.prefixes) === 'refused') return;
    tracking.enable(c, options);
  } else if (mode === 'off') {
    tracking.disable(c);
  } else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  c.reply.simple('OK');
}

/**
 * CLIENT CACHING <YES | NO>: in OPTIN mode YES, in OPTOUT mode NO, makes the next command
 * (or the next transaction) an exception to the mode.
 */
function clientCaching(c: Client, argv: string[]): void {
  const t = c.tracking;
  if (t === null) {
    c.reply.error(ERR_CACHING_NOT_TRACKING);
    return;
  }
  const answer = optionName(argv[2]!);
  if (answer === 'yes') {
    if (!t.optin) {
      c.reply.error(ERR_CACHING_YES_NOT_OPTIN);
      return;
    }
  } else if (answer === 'no') {
    if (!t.optout) {
      c.reply.error(ERR_CACHING_NO_NOT_OPTOUT);
      return;
    }
  } else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  t.caching = true;
  c.reply.simple('OK');
}

/** CLIENT GETREDIR: the redirect target's id, 0 for none, -1 while tracking is off. */
function clientGetredir(c: Client): void {
  c.reply.integer(c.tracking === null ? -1 : c.tracking.redirect);
}

/**
 * CLIENT TRACKINGINFO: a map of flags (a set: on/off, bcast, optin with caching-yes,
 * optout with caching-no, noloop, broken_redirect), redirect (as GETREDIR) and prefixes
 * (in byte order).
 */
function clientTrackinginfo(c: Client): void {
  const r = c.reply;
  const t = c.tracking;
  const flags = [t === null ? 'off' : 'on'];
  if (t !== null) {
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optin && t.caching) flags.push('caching-yes');
    if (t.optout) flags.push('optout');
    if (t.optout && t.caching) flags.push('caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.brokenRedirect) flags.push('broken_redirect');
  }
  r.mapHeader(3);
  r.bulk('flags');
  r.setHeader(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('redirect');
  r.integer(t === null ? -1 : t.redirect);
  r.bulk('prefixes');
  const prefixes = t?.prefixes ? [...t.prefixes].sort() : [];
  r.arrayHeader(prefixes.length);
  for (const p of prefixes) r.bulk(p);
}

export const TRACKING_SUBCOMMANDS: CommandDefinition[] = [
  /** CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] */
  cmd('tracking', -3, 'noscript loading stale', { acl: 'connection' }, clientTracking),
  /** CLIENT CACHING <YES | NO> */
  cmd('caching', 3, 'noscript loading stale', { acl: 'connection' }, clientCaching),
  /** CLIENT GETREDIR */
  cmd('getredir', 2, 'noscript loading stale', { acl: 'connection' }, clientGetredir),
  /** CLIENT TRACKINGINFO */
  cmd('trackinginfo', 2, 'noscript loading stale', { acl: 'connection' }, clientTrackinginfo),
];
