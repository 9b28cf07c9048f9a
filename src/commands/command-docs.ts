import type { ReplyWriter } from '../protocol/writer.js';
import type { KeySpec } from '../acl/key-specs.js';
import type { ArgumentDoc, CommandFlag } from './declare.js';
import type { CommandSpec } from './table.js';

/**
 * COMMAND INFO and COMMAND DOCS replies encoded from the command table, in Redis 7.0's
 * layout (server.c: addReplyCommandInfo, addReplyCommandDocs and their helpers): which
 * parts are sets, maps or arrays, which strings are status replies and which are bulk,
 * and which optional fields appear. redis-cli builds its hints from COMMAND DOCS.
 */

/**
 * The order in which Redis lists command flags, whatever order they were declared in.
 * may_replicate is left out: Redis hides it on purpose (addReplyFlagsForCommand), though
 * its checks read it (a read-only script may not call a may_replicate command).
 */
const FLAG_ORDER: readonly CommandFlag[] = [
  'write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading',
  'stale', 'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth',
  'no_mandatory_keys', 'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy',
];

/** A set of status replies (flags, ACL categories). */
function statusSet(r: ReplyWriter, items: readonly string[]): void {
  r.setHeader(items.length);
  for (const item of items) r.simple(item);
}

/** One command's COMMAND INFO entry: a 10-element array; subcommands nest. */
export function replyCommandInfo(r: ReplyWriter, cmd: CommandSpec): void {
  r.arrayHeader(10);
  r.bulk(cmd.fullName);
  r.integer(cmd.arity);
  let flagCount = 0;
  for (const f of FLAG_ORDER) if (cmd.flags.has(f)) flagCount++;
  r.setHeader(flagCount);
  for (const f of FLAG_ORDER) if (cmd.flags.has(f)) r.simple(f);
  r.integer(cmd.firstKey);
  r.integer(cmd.lastKey);
  r.integer(cmd.keyStep);
  statusSet(r, cmd.aclCategories);
  r.setHeader(cmd.tips.length);
  for (const tip of cmd.tips) r.bulk(tip);
  r.setHeader(cmd.keySpecs.length);
  for (const spec of cmd.keySpecs) replyKeySpec(r, spec);
  if (cmd.subcommands === undefined) {
    r.setHeader(0);
  } else {
    r.arrayHeader(cmd.subcommands.size);
    for (const sub of cmd.subcommands.values()) replyCommandInfo(r, sub);
  }
}

function replyKeySpec(r: ReplyWriter, spec: KeySpec): void {
  r.mapHeader(spec.notes !== undefined ? 4 : 3);
  if (spec.notes !== undefined) {
    r.bulk('notes');
    r.bulk(spec.notes);
  }
  r.bulk('flags');
  statusSet(r, spec.flags);
  r.bulk('begin_search');
  r.mapHeader(2);
  r.bulk('type');
  const bs = spec.beginSearch;
  r.bulk(bs.type);
  r.bulk('spec');
  if (bs.type === 'index') {
    r.mapHeader(1);
    r.bulk('index');
    r.integer(bs.index);
  } else if (bs.type === 'keyword') {
    r.mapHeader(2);
    r.bulk('keyword');
    r.bulk(bs.keyword);
    r.bulk('startfrom');
    r.integer(bs.startfrom);
  } else {
    r.mapHeader(0);
  }
  r.bulk('find_keys');
  r.mapHeader(2);
  r.bulk('type');
  const fk = spec.findKeys;
  r.bulk(fk.type);
  r.bulk('spec');
  if (fk.type === 'range') {
    r.mapHeader(3);
    r.bulk('lastkey');
    r.integer(fk.lastkey);
    r.bulk('keystep');
    r.integer(fk.keystep);
    r.bulk('limit');
    r.integer(fk.limit);
  } else if (fk.type === 'keynum') {
    r.mapHeader(3);
    r.bulk('keynumidx');
    r.integer(fk.keynumidx);
    r.bulk('firstkey');
    r.integer(fk.firstkey);
    r.bulk('keystep');
    r.integer(fk.keystep);
  } else {
    r.mapHeader(0);
  }
}

/** One command's COMMAND DOCS value: a map; a container's subcommands nest as a map. */
export function replyCommandDocs(r: ReplyWriter, cmd: CommandSpec): void {
  const d = cmd.doc;
  let fields = 3;
  if (d.complexity !== undefined) fields++;
  if (d.docFlags !== undefined) fields++;
  if (d.deprecatedSince !== undefined) fields++;
  if (d.replacedBy !== undefined) fields++;
  if (d.history !== undefined) fields++;
  if (d.arguments !== undefined) fields++;
  if (cmd.subcommands !== undefined) fields++;
  r.mapHeader(fields);
  r.bulk('summary');
  r.bulk(d.summary);
  r.bulk('since');
  r.bulk(d.since);
  r.bulk('group');
  r.bulk(d.group);
  if (d.complexity !== undefined) {
    r.bulk('complexity');
    r.bulk(d.complexity);
  }
  if (d.docFlags !== undefined) {
    r.bulk('doc_flags');
    statusSet(r, d.docFlags);
  }
  if (d.deprecatedSince !== undefined) {
    r.bulk('deprecated_since');
    r.bulk(d.deprecatedSince);
  }
  if (d.replacedBy !== undefined) {
    r.bulk('replaced_by');
    r.bulk(d.replacedBy);
  }
  if (d.history !== undefined) {
    r.bulk('history');
    r.setHeader(d.history.length);
    for (const [version, change] of d.history) {
      r.arrayHeader(2);
      r.bulk(version);
      r.bulk(change);
    }
  }
  if (d.arguments !== undefined) {
    r.bulk('arguments');
    replyArguments(r, d.arguments);
  }
  if (cmd.subcommands !== undefined) {
    r.bulk('subcommands');
    r.mapHeader(cmd.subcommands.size);
    for (const sub of cmd.subcommands.values()) {
      r.bulk(sub.fullName);
      replyCommandDocs(r, sub);
    }
  }
}

function replyArguments(r: ReplyWriter, args: readonly ArgumentDoc[]): void {
  r.arrayHeader(args.length);
  for (const a of args) {
    let fields = 2;
    if (a.keySpecIndex !== undefined) fields++;
    if (a.token !== undefined) fields++;
    if (a.summary !== undefined) fields++;
    if (a.since !== undefined) fields++;
    if (a.flags !== undefined) fields++;
    if (a.deprecatedSince !== undefined) fields++;
    if (a.value !== undefined) fields++;
    r.mapHeader(fields);
    r.bulk('name');
    r.bulk(a.name);
    r.bulk('type');
    r.bulk(a.type);
    if (a.keySpecIndex !== undefined) {
      r.bulk('key_spec_index');
      r.integer(a.keySpecIndex);
    }
    if (a.token !== undefined) {
      r.bulk('token');
      r.bulk(a.token);
    }
    if (a.summary !== undefined) {
      r.bulk('summary');
      r.bulk(a.summary);
    }
    if (a.since !== undefined) {
      r.bulk('since');
      r.bulk(a.since);
    }
    if (a.flags !== undefined) {
      r.bulk('flags');
      statusSet(r, a.flags);
    }
    if (a.deprecatedSince !== undefined) {
      r.bulk('deprecated_since');
      r.bulk(a.deprecatedSince);
    }
    if (a.value !== undefined) {
      r.bulk('arguments');
      replyArguments(r, a.value);
    }
  }
}
