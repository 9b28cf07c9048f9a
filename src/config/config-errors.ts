import { strerror } from '../util/strerror.js';

/**
 * Every wording of the configuration layer: why a value is refused (Redis 7.0's
 * config.c, seen from CONFIG SET, the command line and config files) and why a
 * config-file line is refused. Texts a parameter's own check builds from its data
 * (an enum's list of values, a feature's name) stay with that check.
 */

/** Redis's wording of why a configuration value is refused (CONFIG SET, the CLI, config files). */
export const ERR_YES_NO = "argument must be 'yes' or 'no'";
export const ERR_NOT_INTEGER = "argument couldn't be parsed into an integer";
export const ERR_NOT_MEMORY = 'argument must be a memory value';
/** Why a config-file line is refused (Redis's loadServerConfigFromString, and lapse's own refusals). */
export const ERR_BAD_DIRECTIVE = 'Bad directive or wrong number of arguments';
export const ERR_WRONG_NUMBER_OF_ARGUMENTS = 'wrong number of arguments';
export const ERR_UNBALANCED_QUOTES = 'Unbalanced quotes in configuration line';
export const ERR_LOADMODULE = 'lapse does not load Redis modules (loadmodule)';
export const ERR_MODULE_PARAMETER = 'lapse does not load Redis modules, so module parameters are not accepted';
export const ERR_SENTINEL_DIRECTIVE = 'lapse does not implement Redis Sentinel: sentinel directives are not accepted';
export const errIncludeTooDeep = (depth: number) => `include nested more than ${depth} deep (a file including itself?)`;
/** The head of Redis's report of a configuration error, then its body. */
export const fatalConfigError = (version: string, body: string) => `\n*** FATAL CONFIG FILE ERROR (lapse ${version}) ***\n${body}`;
export const errCantOpenConfigFile = (file: string, code: string | undefined) =>
  `Fatal error, can't open config file '${file}': ${errnoText(code)}`;
export const errOutOfRange = (min: number | bigint | string, max: number | bigint | string) => `argument must be between ${min} and ${max} inclusive`;

/** strerror's text for an errno name (node's e.code), or the name itself if the table lacks it. */
export function errnoText(code: string | undefined): string {
  return strerror(code) ?? code ?? 'Unknown error';
}

/** client-output-buffer-limit's refusals (Redis 7.0's config.c). */
export const ERR_BUFFER_LIMIT_COUNT = 'Wrong number of arguments in buffer limit configuration.';
export const ERR_BUFFER_LIMIT_CLASS = 'Invalid client class specified in buffer limit configuration.';
export const ERR_BUFFER_LIMIT_NUMBER = 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
