/**
 * The wordings of Redis 7.0's functions (functions.c, function_lua.c), as the functions
 * engine (function-engine.ts) produces them: the text of the error reply without its
 * leading '-'. The FUNCTION and FCALL commands' own argument errors are in
 * commands/errors.ts.
 */

// Library creation (functions.c functionsCreateWithLibraryCtx, functionExtractLibMetaData).
export const FN_MISSING_METADATA = 'ERR Missing library metadata';
export const FN_INVALID_METADATA = 'ERR Invalid library metadata';
export const FN_NAME_TWICE = 'ERR Invalid metadata value, name argument was given multiple times';
export function fnInvalidMetadataValue(part: string): string {
  return `ERR Invalid metadata value given: ${part}`;
}
export const FN_NO_LIBRARY_NAME = 'ERR Library name was not given';
/** Redis words it so for library and function names alike (functionsVerifyName's callers). */
export const FN_BAD_NAME =
  'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
export function fnEngineNotFound(engine: string): string {
  return `ERR Engine '${engine}' not found`;
}
export function fnLibraryExists(name: string): string {
  return `ERR Library '${name}' already exists`;
}
/** libraryJoin's wording (FUNCTION RESTORE APPEND), without quotes. */
export function fnLibraryExistsJoin(name: string): string {
  return `ERR Library ${name} already exists`;
}
export const FN_NONE_REGISTERED = 'ERR No functions registered';
export function fnFunctionExists(name: string): string {
  return `ERR Function ${name} already exists`;
}
export function fnCompile(message: string): string {
  return `ERR Error compiling function: ${message}`;
}
export function fnRegistering(message: string): string {
  return `ERR Error registering functions: ${message}`;
}

// Raised inside the library's code while it loads (function_lua.c), as {err = 'ERR ...'}.
export const FN_LOAD_TIMEOUT = 'FUNCTION LOAD timeout';
export const FN_REGISTER_OUTSIDE_LOAD = 'redis.register_function can only be called on FUNCTION LOAD command';
export const FN_REGISTER_ARGS = 'wrong number of arguments to redis.register_function';
export const FN_REGISTER_SINGLE_NOT_TABLE =
  'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).';
export const FN_REGISTER_KEY_NOT_STRING = 'named argument key given to redis.register_function is not a string';
export const FN_REGISTER_NAME_NOT_STRING = 'function_name argument given to redis.register_function must be a string';
export const FN_REGISTER_DESC_NOT_STRING = 'description argument given to redis.register_function must be a string';
export const FN_REGISTER_CALLBACK_NOT_FUNCTION = 'callback argument given to redis.register_function must be a function';
export const FN_REGISTER_FLAGS_NOT_TABLE =
  'flags argument to redis.register_function must be a table representing function flags';
export const FN_REGISTER_UNKNOWN_FLAG = 'unknown flag given';
export const FN_REGISTER_UNKNOWN_ARG = 'unknown argument given to redis.register_function';
export const FN_REGISTER_NO_NAME = 'redis.register_function must get a function name argument';
export const FN_REGISTER_NO_CALLBACK = 'redis.register_function must get a callback argument';
export const FN_REGISTER_FIRST_NOT_STRING = 'first argument to redis.register_function must be a string';
export const FN_REGISTER_SECOND_NOT_FUNCTION = 'second argument to redis.register_function must be a function';
export const FN_EXISTS_IN_LIBRARY = 'Function already exists in the library';
