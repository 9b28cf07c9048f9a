import fs from 'node:fs';
import path from 'node:path';
import { splitArgs } from '../util/split-args.js';
import { globMatch } from '../util/glob.js';
import { PARAMS, findParam } from './params.js';
import type { ParamSpec, ParamValue } from './param-kinds.js';
import {
  ERR_BAD_DIRECTIVE,
  ERR_LOADMODULE,
  ERR_MODULE_PARAMETER,
  ERR_SENTINEL_DIRECTIVE,
  ERR_UNBALANCED_QUOTES,
  ERR_WRONG_NUMBER_OF_ARGUMENTS,
  errCantOpenConfigFile,
  errIncludeTooDeep,
  errnoText,
  fatalConfigError,
} from './config-errors.js';

export type ConfigListener = (name: string, value: ParamValue) => void;
/**
 * Checks a CONFIG SET whose values parsed, before anything changes: the new values by
 * parameter name; returns the parameter and reason to refuse it all, or null.
 */
export type ConfigValidator = (pending: ReadonlyMap<string, ParamValue>) => { name: string; reason: string } | null;

/** A configuration error in Redis's start-up wording. */
export class ConfigFileError extends Error {}

/**
 * The live configuration: one value per parameter of PARAMS. Everything that reads a
 * setting reads it here; CONFIG SET notifies listeners so the server can apply it.
 */
export class Config {
  private readonly values = new Map<string, ParamValue>();
  private readonly listeners: ConfigListener[] = [];
  private readonly validators: ConfigValidator[] = [];
  /**
   * The parameters set at start-up (config file, command line, createServer options),
   * by their canonical names: the server warns about those that have no effect.
   */
  readonly setAtStartup = new Set<string>();

  constructor() {
    for (const p of PARAMS) {
      if (p.aliasOf !== undefined) continue;
      const r = p.parse(p.defaultText);
      if ('error' in r) throw new Error(`bad default for ${p.name}: ${r.error}`);
      this.values.set(p.name, r.value);
    }
  }

  /** A parameter's value, by its name or an alias's. */
  get(name: string): ParamValue {
    const v = this.values.get(findParam(name)?.aliasOf ?? name);
    if (v === undefined) throw new Error(`unknown config parameter ${name}`);
    return v;
  }

  /** A numeric parameter (memory sizes beyond 2^53 come back as the nearest double). */
  number(name: string): number {
    return Number(this.get(name));
  }

  string(name: string): string {
    return this.get(name) as string;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  list(name: string): string[] {
    return this.get(name) as string[];
  }

  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  /** Settings that must work together (TLS files) are checked before a CONFIG SET applies. */
  onValidate(validator: ConfigValidator): void {
    this.validators.push(validator);
  }

  /**
   * CONFIG GET: name/value pairs for the patterns, each parameter once. As Redis's
   * configGetCommand: a pattern without glob characters is an exact, case-insensitive
   * name and is reported with the name as the client wrote it; a glob matches names
   * case-insensitively and reports the parameter's own name.
   */
  matching(patterns: readonly string[]): [string, string][] {
    const out: [string, string][] = [];
    const seen = new Set<ParamSpec>();
    for (const pattern of patterns) {
      if (!hasGlob(pattern)) {
        const spec = findParam(pattern);
        if (spec && !seen.has(spec)) {
          seen.add(spec);
          out.push([pattern, spec.format(this.get(spec.name))]);
        }
        continue;
      }
      for (const spec of PARAMS) {
        // Hidden parameters answer their exact name only (Redis's HIDDEN_CONFIG).
        if (!seen.has(spec) && !spec.hidden && globMatch(pattern, spec.name, true)) {
          seen.add(spec);
          out.push([spec.name, spec.format(this.get(spec.name))]);
        }
      }
    }
    return out;
  }

  /**
   * CONFIG SET: checks every pair, then parses every value, then applies them all, so
   * several parameters change atomically. The checks and the error reported follow
   * Redis 7.0's configSetCommand: the first unknown name wins unless an immutable or
   * duplicate parameter was met before it; value errors name the parameter itself.
   * A protected parameter may be set when enable-protected-configs is yes, or local and
   * the client is local (`localClient`), as Redis's allowProtectedAction.
   */
  setMany(pairs: readonly [string, string][], localClient = false): ConfigSetError | null {
    const protectedAllowed = this.allowsProtected(localClient);
    let unknown: string | undefined;
    let failure: ConfigSetError | undefined;
    const specs: (ParamSpec | undefined)[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const name = pairs[i]![0];
      const spec = findParam(name);
      if (!spec) {
        if (unknown === undefined && failure === undefined) unknown = name;
        continue;
      }
      if (unknown !== undefined || failure !== undefined) continue;
      if (!spec.mutable || (spec.protected && !protectedAllowed)) {
        failure = { name, reason: spec.mutable ? "can't set protected config" : "can't set immutable config" };
        continue;
      }
      if (specs.includes(spec)) failure = { name, reason: 'duplicate parameter' };
      specs[i] = spec;
    }
    if (unknown !== undefined) return { unknown };
    if (failure) return failure;
    const parsed: [ParamSpec, ParamValue][] = [];
    for (let i = 0; i < pairs.length; i++) {
      const spec = specs[i]!;
      const r = spec.parse(pairs[i]![1]);
      if ('error' in r) return { name: spec.name, reason: r.error };
      parsed.push([spec, r.value]);
    }
    if (this.validators.length > 0) {
      const pending = new Map(parsed.map(([spec, value]) => [spec.aliasOf ?? spec.name, value]));
      for (const validate of this.validators) {
        const refused = validate(pending);
        if (refused !== null) return refused;
      }
    }
    for (const [spec, value] of parsed) this.apply(spec.name, value);
    return null;
  }

  /** Redis's allowProtectedAction for enable-protected-configs. */
  allowsProtected(localClient: boolean): boolean {
    const allowed = this.string('enable-protected-configs');
    return allowed === 'yes' || (allowed === 'local' && localClient);
  }

  /**
   * Sets a parameter at start-up (immutable ones too). A multi-argument parameter
   * (save, bind, ...) takes its words joined with spaces; any other exactly one
   * argument. Throws the Redis-style reason.
   */
  setInitial(name: string, args: readonly string[]): void {
    const spec = findParam(name);
    if (!spec) throw new ConfigFileError(ERR_BAD_DIRECTIVE);
    if (!spec.multiArg && args.length !== 1) throw new ConfigFileError(ERR_WRONG_NUMBER_OF_ARGUMENTS);
    const r = spec.parse(spec.multiArg ? args.join(' ') : args[0]!);
    if ('error' in r) throw new ConfigFileError(r.error);
    this.apply(spec.name, r.value);
    this.setAtStartup.add(spec.aliasOf ?? spec.name);
  }

  /**
   * A value the server itself changed by a command other than CONFIG SET (REPLICAOF sets
   * `replicaof`): CONFIG GET and CONFIG REWRITE see it. Listeners are not told.
   */
  record(name: string, value: ParamValue): void {
    this.values.set(findParam(name)?.aliasOf ?? name, value);
  }

  /** Sets a parameter (an alias sets its target); listeners hear the target's name. */
  private apply(name: string, value: ParamValue): void {
    const spec = findParam(name);
    name = spec?.aliasOf ?? name;
    if (spec?.combine !== undefined) value = spec.combine(this.values.get(name)!, value);
    this.values.set(name, value);
    for (const l of this.listeners) l(name, value);
  }
}

/** Why CONFIG SET refused: an unknown parameter, or a parameter and the reason. */
export type ConfigSetError = { unknown: string } | { name: string; reason: string };

/** Whether CONFIG GET treats the pattern as a glob (strpbrk on the C string). */
function hasGlob(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0) return false;
    if (c === 0x2a || c === 0x3f || c === 0x5b) return true;
  }
  return false;
}

/**
 * What the server does with the directives that are not parameters. Without a handler
 * (the command line's first reading, which only needs the parameters) the line is
 * accepted as it is; the server's own reading then checks it.
 */
export interface ConfigDirectives {
  /** `user <name> [rules...]` (Redis's ACLAppendUserForLoading): the reason to refuse, or null. */
  user?(args: string[]): string | null;
  /** `rename-command <name> <new-name>` ("" removes the command): the reason to refuse, or null. */
  renameCommand?(name: string, newName: string): string | null;
}

/** Redis 7.0 still accepts these (with one argument) and ignores them. */
const DEPRECATED = new Set(['list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands']);

/** How deep `include` may nest: Redis has no limit and crashes on a file that includes itself. */
const MAX_INCLUDE_DEPTH = 16;

/**
 * Loads redis.conf-style text into config, as Redis's loadServerConfigFromString does:
 * one directive per line, arguments split like inline commands, '#' comments. Errors
 * throw with Redis's report (line number, the line, the reason). Besides parameters:
 * `include` (read at once; a relative path is relative to the working directory, which
 * for Redis is `dir`; wildcards as glob(3)), `rename-command`, `user`; `loadmodule`,
 * `sentinel` and module parameters (`name.param`) are refused, since lapse loads no
 * modules and is no Sentinel. Once all is read, the log file must open for appending.
 */
export function loadConfigText(config: Config, text: string, version: string, directives: ConfigDirectives = {}): void {
  loadLines(config, text, version, directives, { saveSeen: false }, 0);
  const logfile = config.string('logfile');
  if (logfile !== '') {
    try {
      fs.closeSync(fs.openSync(path.resolve(config.string('dir'), logfile), 'a'));
    } catch (e) {
      throw new ConfigFileError(fatalConfigError(version, `Can't open the log file: ${errnoText((e as NodeJS.ErrnoException).code)}`));
    }
  }
}

function loadLines(
  config: Config,
  text: string,
  version: string,
  directives: ConfigDirectives,
  state: { saveSeen: boolean },
  depth: number,
): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line.length === 0 || line.startsWith('#')) continue;
    const argv = splitArgs(line);
    const fail = (reason: string): never => {
      throw new ConfigFileError(fatalConfigError(version, `Reading the configuration file, at line ${i + 1}\n>>> '${line}'\n${reason}`));
    };
    if (argv === null) fail(ERR_UNBALANCED_QUOTES);
    if (argv!.length === 0) continue;
    const [word, ...args] = argv!;
    const name = word!.toLowerCase();
    const spec = findParam(name);
    if (spec) {
      let values = args;
      if (spec.name === 'save' && !spec.aliasOf) {
        // The first `save` line replaces the defaults, later ones add points (Redis 7.0).
        if (state.saveSeen && args.join(' ') !== '') values = [`${config.string('save')} ${args.join(' ')}`.trim()];
        state.saveSeen = true;
      }
      try {
        config.setInitial(name, values);
      } catch (e) {
        if (e instanceof ConfigFileError) fail(e.message);
        throw e;
      }
      continue;
    }
    if (DEPRECATED.has(name) && args.length === 1) continue;
    if (name === 'include' && args.length === 1) {
      if (depth >= MAX_INCLUDE_DEPTH) fail(errIncludeTooDeep(MAX_INCLUDE_DEPTH));
      for (const file of includedFiles(args[0]!, config.string('dir'))) {
        let content: string;
        try {
          content = fs.readFileSync(file, 'latin1');
        } catch (e) {
          throw new ConfigFileError(errCantOpenConfigFile(file, (e as NodeJS.ErrnoException).code));
        }
        loadLines(config, content, version, directives, state, depth + 1);
      }
    } else if (name === 'rename-command' && args.length === 2) {
      const error = directives.renameCommand?.(args[0]!, args[1]!) ?? null;
      if (error !== null) fail(error);
    } else if (name === 'user' && args.length >= 1) {
      const error = directives.user?.(args) ?? null;
      if (error !== null) fail(error);
    } else if (name === 'loadmodule' && args.length >= 1) {
      fail(ERR_LOADMODULE);
    } else if (name.includes('.')) {
      fail(ERR_MODULE_PARAMETER);
    } else if (name === 'sentinel') {
      fail(ERR_SENTINEL_DIRECTIVE);
    } else {
      fail(ERR_BAD_DIRECTIVE);
    }
  }
}

/**
 * The files an `include` names, as Redis opens them: relative to the working directory
 * (`dir`). A name with wildcards (* ? [) is expanded as glob(3) does, in sorted order,
 * and may match nothing; a name without them must exist.
 */
function includedFiles(name: string, cwd: string): string[] {
  const absolute = path.resolve(cwd, name);
  if (!/[*?[]/.test(name)) return [absolute];
  let found = [absolute.startsWith('/') ? '/' : ''];
  const parts = absolute.split('/').filter((p) => p.length > 0);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of found) {
      if (!/[*?[]/.test(part)) {
        const candidate = path.join(base, part);
        if (fs.existsSync(candidate)) next.push(candidate);
        continue;
      }
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(base, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        // As glob(3) without GLOB_PERIOD: a wildcard does not match a leading dot.
        if (e.name.startsWith('.') && !part.startsWith('.')) continue;
        if (!last && !e.isDirectory() && !e.isSymbolicLink()) continue;
        if (globMatch(part, e.name)) next.push(path.join(base, e.name));
      }
    }
    found = next.sort();
  }
  return found;
}

/**
 * Turns command-line options into config text, as Redis does: `--name value...`
 * starts a directive, following words are its arguments; a first argument that does
 * not start with `--` is the config file.
 */
export function argvToConfig(argv: readonly string[]): { file?: string; text: string } {
  let file: string | undefined;
  let i = 0;
  if (argv.length > 0 && !argv[0]!.startsWith('--')) {
    file = argv[0];
    i = 1;
  }
  const lines: string[] = [];
  let current: string[] | null = null;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--') && a.length > 2) {
      if (current) lines.push(current.join(' '));
      current = [a.slice(2)];
    } else if (current) {
      current.push(quoteConfigArg(a));
    } else {
      throw new ConfigFileError(`Invalid argument '${a}': options start with --`);
    }
  }
  if (current) lines.push(current.join(' '));
  return { file, text: lines.join('\n') };
}

/** Quotes an argument so splitArgs gives it back unchanged (empty strings included). */
function quoteConfigArg(a: string): string {
  if (a.length > 0 && !/[\s"'\\]/.test(a)) return a;
  return '"' + a.replace(/[\\"]/g, (c) => '\\' + c).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}
