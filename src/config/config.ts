import { splitArgs } from '../util/split-args.js';
import { globMatch } from '../util/glob.js';
import { PARAMS, findParam, type ParamSpec, type ParamValue } from './params.js';

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
        if (!seen.has(spec) && globMatch(pattern, spec.name, true)) {
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
   */
  setMany(pairs: readonly [string, string][]): ConfigSetError | null {
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
      if (!spec.mutable || spec.protected) {
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

  /** Sets a parameter at start-up (immutable ones too). Throws the Redis-style reason. */
  setInitial(name: string, args: readonly string[]): void {
    const spec = findParam(name);
    if (!spec || args.length !== 1) throw new ConfigFileError('Bad directive or wrong number of arguments');
    const r = spec.parse(args[0]!);
    if ('error' in r) throw new ConfigFileError(r.error);
    this.apply(spec.name, r.value);
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

/** Directives whose words are one value (Redis's multi-argument configs). */
const MULTI_WORD = new Set(['bind', 'save', 'client-output-buffer-limit']);

/**
 * Directives that are not parameters (Redis's `user`): given the line's arguments after
 * the name, each returns the reason to refuse the line, or null.
 */
export type ConfigDirectives = Readonly<Record<string, (args: string[]) => string | null>>;

/**
 * Loads redis.conf-style text into config, as Redis's loadServerConfigFromString does:
 * one directive per line, arguments split like inline commands, '#' comments. Errors
 * throw with Redis's report (line number, the line, the reason).
 */
export function loadConfigText(config: Config, text: string, version: string, directives: ConfigDirectives = {}): void {
  const lines = text.split('\n');
  let saveSeen = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const argv = splitArgs(line);
    const fail = (reason: string): never => {
      throw new ConfigFileError(
        `\n*** FATAL CONFIG FILE ERROR (lapse ${version}) ***\n` +
          `Reading the configuration file, at line ${i + 1}\n>>> '${line}'\n${reason}`,
      );
    };
    if (argv === null) fail('Unbalanced quotes in configuration line');
    if (argv!.length === 0) continue;
    const [name, ...args] = argv!;
    const directive = Object.hasOwn(directives, name!.toLowerCase()) ? directives[name!.toLowerCase()] : undefined;
    if (directive !== undefined && args.length >= 1) {
      const error = directive(args);
      if (error !== null) fail(error);
      continue;
    }
    try {
      // Redis joins the arguments of multi-word directives such as "bind a b".
      const spec = findParam(name!);
      let joined = spec && MULTI_WORD.has(spec.name) ? [args.join(' ')] : args;
      if (spec?.name === 'save') {
        // The first `save` line replaces the defaults, later ones add points (Redis 7.0).
        if (saveSeen) joined = [`${config.string('save')} ${joined[0]}`.trim()];
        saveSeen = true;
      }
      config.setInitial(name!, joined);
    } catch (e) {
      if (e instanceof ConfigFileError) fail(e.message);
      throw e;
    }
  }
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
