/**
 * Conversion of Redis 7.0's COMMAND INFO and COMMAND DOCS replies (RESP3) into lapse's
 * CommandMeta form. Used by gen-command-meta.ts, and by the tests that check lapse's
 * COMMAND encoder against every command Redis has.
 */
import type { Reply } from '../test/helpers/resp.js';
import type { ArgumentDoc, CommandDoc, CommandMeta, KeySpec, CommandFlag } from '../src/commands/table.js';

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

/**
 * One command's metadata from its COMMAND INFO entry and COMMAND DOCS value; the
 * subcommands named in `wanted` are included, in Redis's order.
 */
export function meta(info: Reply, docReply: Reply, wanted: Set<string> | undefined): CommandMeta {
  const f = list(info);
  const { doc: d, subs: subDocs } = doc(docReply);
  const m: CommandMeta = {
    arity: num(f[1]!),
    flags: list(f[2]!).map(str) as CommandFlag[],
    firstKey: num(f[3]!),
    lastKey: num(f[4]!),
    keyStep: num(f[5]!),
    aclCategories: list(f[6]!).map(str),
    tips: list(f[7]!).map(str),
    keySpecs: list(f[8]!).map(keySpec),
    doc: d,
  };
  const subInfos = list(f[9]!);
  if (subInfos.length > 0 && wanted) {
    m.subcommands = {};
    for (const si of subInfos) {
      const full = str(list(si)[0]!);
      const name = full.split('|')[1]!;
      if (!wanted.has(name)) continue;
      m.subcommands[name] = meta(si, subDocs.get(full)!, undefined);
    }
  }
  return m;
}
