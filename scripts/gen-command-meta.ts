/**
 * Generates src/commands/meta.generated.ts from a real redis-server 7.0: for every
 * command lapse declares, its arity, flags, ACL categories, key specs, tips and
 * COMMAND DOCS documentation, converted to lapse's own CommandMeta form.
 *
 * This is data describing Redis's interface (BSD-licensed, from the Redis project's
 * command JSON files, as Redis 7.0 reports it), so that COMMAND INFO/DOCS and redis-cli
 * hints match Redis exactly. Commands Redis 7.0 lacks are described in meta-extra.ts.
 *
 * Usage: npx tsx scripts/gen-command-meta.ts   (starts its own redis-server)
 */
import fs from 'node:fs';
import { startRedis } from '../test/helpers/redis-server.js';
import { RawClient } from '../test/helpers/raw-client.js';
import type { Reply } from '../test/helpers/resp.js';
import { DEFINITIONS } from '../src/commands/index.js';
import { EXTRA_META } from '../src/commands/meta-extra.js';
import type { ArgumentDoc, CommandDoc, CommandMeta, KeySpec, CommandFlag } from '../src/commands/table.js';

function str(r: Reply): string {
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

function list(r: Reply): Reply[] {
  if (r.type === 'array' || r.type === 'set') return r.value;
  throw new Error(`not a list: ${JSON.stringify(r)}`);
}

function map(r: Reply): Map<string, Reply> {
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

function meta(info: Reply, docReply: Reply, wanted: Set<string> | undefined): CommandMeta {
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

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    const c = await RawClient.connect(redis.port);
    await c.call('HELLO', '3');
    const out: Record<string, CommandMeta> = {};
    for (const def of DEFINITIONS) {
      if (EXTRA_META[def.name] && !def.subcommands) continue;
      c.send('COMMAND', 'INFO', def.name);
      const infoReply = list(await c.readReply())[0]!;
      if (infoReply.type === 'null' || infoReply.type === 'nullarray') {
        if (EXTRA_META[def.name]) continue;
        throw new Error(`redis-server does not know ${def.name}: describe it in meta-extra.ts`);
      }
      c.send('COMMAND', 'DOCS', def.name);
      const docs = map(await c.readReply());
      const wanted = def.subcommands ? new Set(def.subcommands.map((s) => s.name)) : undefined;
      out[def.name] = meta(infoReply, docs.get(def.name)!, wanted);
    }
    c.close();
    const header =
      '// Generated by scripts/gen-command-meta.ts from redis-server 7.0 (COMMAND INFO and COMMAND DOCS).\n' +
      "// Redis's command metadata is BSD-licensed (Copyright (c) Redis Ltd.). Do not edit by hand.\n" +
      "import type { CommandMeta } from './table.js';\n\n" +
      'export const REDIS_META: Record<string, CommandMeta> = ';
    fs.writeFileSync('src/commands/meta.generated.ts', header + JSON.stringify(out, null, 1) + ';\n');
    console.log(`wrote metadata for ${Object.keys(out).length} commands`);
  } finally {
    await redis.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
