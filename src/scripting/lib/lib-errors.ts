/**
 * Every error text the Lua libraries written in TypeScript raise (cjson, cmsgpack, struct,
 * bit, string.format), worded as Redis 7.0.15's deps/lua/src/*.c and Lua 5.1.5's lauxlib.c
 * and lstrlib.c build them. Kept here, beside the libraries, because src/scripting must not
 * import src/commands (where the server's reply errors live): these are Lua error values a
 * script can catch with pcall, not replies.
 */

// lauxlib.c (luaL_argerror, luaL_typerror, luaL_checkstack)
export const argErrorText = (narg: number, fname: string, extra: string): string => `bad argument #${narg} to '${fname}' (${extra})`;
export const typeErrorExtra = (expected: string, got: string): string => `${expected} expected, got ${got}`;
export const stackOverflowText = (what: string): string => `stack overflow (${what})`;
/** luaL_checkany's error. */
export const valueExpected = 'value expected';

// lbaselib.c and ltablib.c (the engine's own next, pairs, rawget, setmetatable, table.insert)
export const nilOrTableExpected = 'nil or table expected';
export const protectedMetatable = 'cannot change a protected metatable';
export const insertWrongArgs = "wrong number of arguments to 'insert'";

// lstrlib.c str_format
export const formatNoValue = 'no value';
export const formatRepeatedFlags = 'invalid format (repeated flags)';
export const formatTooLong = 'invalid format (width or precision too long)';
export const formatInvalidOption = (conversion: string): string => `invalid option '%${conversion}' to 'format'`;

// lua_cjson.c
export const cjsonTooManyArgs = 'found too many arguments';
export const cjsonExpectedOneArg = 'expected 1 argument';
export const cjsonIntegerRange = (min: number, max: number): string => `expected integer between ${min} and ${max}`;
export const cjsonInvalidOption = (name: string): string => `invalid option '${name}'`;
export const cjsonCannotSerialise = (type: string, reason: string): string => `Cannot serialise ${type}: ${reason}`;
export const cjsonExcessivelySparse = 'excessively sparse array';
export const cjsonNotNanOrInf = 'must not be NaN or Inf';
export const cjsonBadKeyType = 'table key must be a number or string';
export const cjsonTypeNotSupported = 'type not supported';
export const cjsonExcessiveNesting = (depth: number): string => `Cannot serialise, excessive nesting (${depth})`;
export const cjsonUtf16 = 'JSON parser does not support UTF-16 or UTF-32';
export const cjsonParseError = (expected: string, found: string, at: number): string =>
  `Expected ${expected} but found ${found} at character ${at}`;
export const cjsonTooDeep = (depth: number, at: number): string =>
  `Found too many nested data structures (${depth}) at character ${at}`;

// lua_cmsgpack.c
export const msgpackNeedsInput = 'MessagePack pack needs input.';
export const msgpackTooManyArgs = 'Too many arguments for MessagePack pack.';
export const msgpackTooManyResults = 'too many return values at once; use unpack_one or unpack_limit instead.';
export const msgpackNegative = (offset: number, len: number): string =>
  `Invalid request to unpack with offset of ${offset} and limit of ${len}.`;
export const msgpackOffsetTooLarge = (offset: number, len: number): string =>
  `Start offset ${offset} greater than input length ${len}.`;
export const msgpackMissingBytes = 'Missing bytes in input.';
export const msgpackBadFormat = 'Bad data format in input.';
// ltable.c, raised by lua_settable while unpacking a map
export const tableIndexNil = 'table index is nil';
export const tableIndexNaN = 'table index is NaN';

// lua_struct.c
export const structSizeOverflow = 'integral size overflow';
export const structIntTooLarge = (size: number, max: number): string => `integral size ${size} is larger than limit of ${max}`;
export const structAlignNotPow2 = (a: number): string => `alignment ${a} is not a power of 2`;
export const structInvalidOption = (opt: string): string => `invalid format option '${opt}'`;
export const structStringTooShort = 'string too short';
export const structOffset = 'offset must be 1 or greater';
export const structDataTooShort = 'data string too short';
export const structTooManyResults = 'too many results';
export const structC0NeedsSize = "format 'c0' needs a previous size";
export const structUnfinishedString = 'unfinished string in data';
export const structNoFixedSizeS = "option 's' has no fixed size";
export const structNoFixedSizeC0 = "option 'c0' has no fixed size";

// lua_bit.c has only luaL_typerror's "number expected, got ...".
