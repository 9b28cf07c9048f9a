/**
 * Conversion of Redis 7.0's COMMAND INFO and COMMAND DOCS replies (RESP3) into lapse's
 * forms: docs (CommandDoc) and declarations. Used by gen-command-meta.ts (the docs data),
 * and by the test that checks lapse's declarations, derivations and COMMAND encoder
 * against every command Redis has.
 */
import type { Reply } from '../test/helpers/resp.js';
import type { KeySpec } from '../src/acl/key-specs.js';
import { define, type AclCategory, type ArgumentDoc, type CommandDefinition, type CommandDoc, type DeclaredFlag, type Handler } from '../src/commands/declare.js';

export function str(r: Reply): string {
  switch (r.type) {
    case 'simple': return r.value;
    case 'bulk': case 'verbatim': return r.value.toString('latin1');
    case 'integer': return String(r.value);
    default: throw new Error(`not a string: ${JSON.stringify(r)}`);
  }
}

function num(r: Reply): number {
  if (r.type !== 'integer') throw new Error(`not an integer: ${JSON.stringify(r)}`);
  return Number(r.value);
}

export function list(r: Reply): Reply[] {
  if (r.type === 'array' || r.type === 'set') return r.value;
  throw new Error(`not a list: ${JSON.stringify(r)}`);
}

export function map(r: Reply): Map<string, Reply> {
  if (r.type !== 'map') throw new Error(`not a map: ${JSON.stringify(r)}`);
  return new Map(r.value.map(([k, v]) => [str(k), v]));
}

function keySpec(r: Reply): KeySpec {
  const m = map(r);
  const bs = map(m.get('begin_search')!);
  const bsSpec = map(bs.get('spec')!);
  const fk = map(m.get('find_keys')!);
  const fkSpec = map(fk.get('spec')!);
  const bsType = str(bs.get('type')!);
  const fkType = str(fk.get('type')!);
  const spec: KeySpec = {
    flags: list(m.get('flags')!).map(str),
    beginSearch:
      bsType === 'index'
        ? { type: 'index', index: num(bsSpec.get('index')!) }
        : bsType === 'keyword'
          ? { type: 'keyword', keyword: str(bsSpec.get('keyword')!), startfrom: num(bsSpec.get('startfrom')!) }
          : { type: 'unknown' },
    findKeys:
      fkType === 'range'
        ? { type: 'range', lastkey: num(fkSpec.get('lastkey')!), keystep: num(fkSpec.get('keystep')!), limit: num(fkSpec.get('limit')!) }
        : fkType === 'keynum'
          ? { type: 'keynum', keynumidx: num(fkSpec.get('keynumidx')!), firstkey: num(fkSpec.get('firstkey')!), keystep: num(fkSpec.get('keystep')!) }
          : { type: 'unknown' },
  };
  if (m.has('notes')) spec.notes = str(m.get('notes')!);
  return spec;
}

function argument(r: Reply): ArgumentDoc {
  const m = map(r);
  const a: ArgumentDoc = { name: str(m.get('name')!), type: str(m.get('type')!) as ArgumentDoc['type'] };
  for (const [k, v] of m) {
    switch (k) {
      case 'name': case 'type': break;
      case 'display_text': a.displayText = str(v); break;
      case 'key_spec_index': a.keySpecIndex = num(v); break;
      case 'token': a.token = str(v); break;
      case 'summary': a.summary = str(v); break;
      case 'since': a.since = str(v); break;
      case 'deprecated_since': a.deprecatedSince = str(v); break;
      case 'flags': a.flags = list(v).map(str) as ArgumentDoc['flags']; break;
      case 'arguments': a.value = list(v).map(argument); break;
      default: throw new Error(`unknown argument field ${k}`);
    }
  }
  return a;
}

function doc(r: Reply): { doc: CommandDoc; subs: Map<string, Reply> } {
  const m = map(r);
  const d: CommandDoc = { summary: '', since: '', group: '' };
  let subs = new Map<string, Reply>();
  for (const [k, v] of m) {
    switch (k) {
      case 'summary': d.summary = str(v); break;
      case 'since': d.since = str(v); break;
      case 'group': d.group = str(v); break;
      case 'complexity': d.complexity = str(v); break;
      case 'doc_flags': d.docFlags = list(v).map(str); break;
      case 'deprecated_since': d.deprecatedSince = str(v); break;
      case 'replaced_by': d.replacedBy = str(v); break;
      case 'history': d.history = list(v).map((h) => list(h).map(str) as [string, string]); break;
      case 'arguments': d.arguments = list(v).map(argument); break;
      case 'subcommands': subs = map(v); break;
      default: throw new Error(`unknown doc field ${k}`);
    }
  }
  return { doc: d, subs };
}

/** Every command's docs in a COMMAND DOCS reply (all commands), subcommands included, by full name. */
export function docsByName(reply: Reply): Map<string, CommandDoc> {
  const out = new Map<string, CommandDoc>();
  for (const [name, value] of map(reply)) {
    const { doc: d, subs } = doc(value);
    out.set(name, d);
    for (const [subName, subValue] of subs) out.set(subName, doc(subValue).doc);
  }
  return out;
}

/**
 * A command as lapse would declare it, from its COMMAND INFO entry: its flags without
 * `movablekeys` and its categories without those its flags imply (what Redis's JSON
 * files hold), so that the table derives the rest as Redis does. Subcommands follow in
 * Redis's order.
 */
export function declarationOf(info: Reply, handler: Handler): CommandDefinition {
  const f = list(info);
  const fullName = str(f[0]!);
  const flags = list(f[2]!).map(str).filter((x) => x !== 'movablekeys') as DeclaredFlag[];
  const has = (x: string) => flags.includes(x as DeclaredFlag);
  const categories = list(f[6]!).map((c) => str(c).slice(1)) as AclCategory[];
  const implied = new Set<string>();
  if (has('write')) implied.add('write');
  if (has('readonly') && !categories.includes('scripting')) implied.add('read');
  if (has('admin')) implied.add('admin').add('dangerous');
  if (has('pubsub')) implied.add('pubsub');
  if (has('fast')) implied.add('fast');
  if (has('blocking')) implied.add('blocking');
  if (!categories.includes('fast')) implied.add('slow');
  const subInfos = list(f[9]!);
  return define({
    name: fullName.includes('|') ? fullName.split('|')[1]! : fullName,
    arity: num(f[1]!),
    flags,
    acl: categories.filter((c) => !implied.has(c)),
    tips: list(f[7]!).map(str),
    keySpecs: list(f[8]!).map(keySpec),
    handler,
    subcommands: subInfos.length > 0 ? subInfos.map((s) => declarationOf(s, handler)) : undefined,
  });
}
