/**
 * The wordings of the scripting layer, as Redis 7.0's eval.c, script.c and script_lua.c
 * word them (the text after the leading '-'; errors raised inside Lua carry no code, and
 * Redis adds "ERR " when it turns them into a reply). The commands layer's replies
 * (NOSCRIPT, numkeys) are in commands/errors.ts.
 */

// Raised inside scripts (script_lua.c).
export const LUA_READONLY_TABLE = 'Attempt to modify a readonly table';
export function luaMissingGlobal(name: string): string {
  return `Script attempted to access nonexistent global variable '${name}'`;
}
export const LUA_MISSING_GLOBAL_KEY = 'Second argument to luaProtectedTableError must be a string or number';
export const LUA_CALL_NO_ARGS = 'Please specify at least one argument for this redis lib call';
export const LUA_CALL_BAD_ARG = 'Lua redis lib command arguments must be strings or integers';
export const LUA_WRONG_ARGS = 'wrong number of arguments';
export const LUA_WRONG_ARGS_OR_TYPE = 'wrong number or type of arguments';
export const LUA_SET_REPL_ARGS = 'redis.set_repl() requires two arguments.';
export const LUA_SET_REPL_FLAGS = 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.';
export const LUA_ACL_CHECK_UNKNOWN = 'Invalid command passed to redis.acl_check_cmd()';
export const LUA_LOG_ARGS = 'redis.log() requires two arguments or more.';
export const LUA_LOG_LEVEL_TYPE = 'First argument must be a number (log level).';
export const LUA_LOG_LEVEL = 'Invalid debug level.';
export const LUA_SETRESP_ARGS = 'redis.setresp() requires one argument.';
export const LUA_SETRESP_VERSION = 'RESP version must be 2 or 3.';
export const LUA_STACK_LIMIT = 'reached lua stack limit';
export const LUA_INTERVAL_EMPTY = 'interval is empty';
export function luaOutsideRun(what: string): string {
  return `${what} can only be called inside a script invocation`;
}
/** The bridge's limit on table nesting when a table crosses to TypeScript (lapse's own wording). */
export const LUA_TABLE_TOO_DEEP = 'table nested too deeply to pass to a library function';

// Refusals of a command called from a script (script.c scriptCall).
export const SCRIPT_UNKNOWN_COMMAND = 'Unknown Redis command called from script';
export const SCRIPT_WRONG_ARITY = 'Wrong number of args calling Redis command from script';
export const SCRIPT_NOSCRIPT_COMMAND = 'This Redis command is not allowed from script';
export const SCRIPT_WRITE_IN_READONLY = 'Write commands are not allowed from read-only scripts.';
export function scriptAclDenied(reason: string): string {
  return `The user executing the script ${reason}`;
}

// Refusals of a script before it runs (script.c scriptPrepareForRun) and of its body (eval.c).
export const ERR_SCRIPT_WRITE_FLAG_RO = 'ERR Can not execute a script with write flag using *_ro command.';
export const ERR_SCRIPT_OOM = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
export const ERR_SCRIPT_MISCONF =
  'MISCONF Redis is configured to save RDB snapshots, but it\'s currently unable to persist to disk. ' +
  "Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";
export const ERR_SHEBANG_INVALID = 'ERR Invalid script shebang';
export const ERR_SHEBANG_ENGINE_INVALID = 'ERR Invalid engine in script shebang';
export function errShebangEngine(engine: string): string {
  return `ERR Unexpected engine in script shebang: ${engine}`;
}
export function errShebangFlag(flag: string): string {
  return `ERR Unexpected flag in script shebang: ${flag}`;
}
export function errShebangOption(option: string): string {
  return `ERR Unknown lua shebang option: ${option}`;
}
export function errCompile(message: string): string {
  return `ERR Error compiling script (new function): ${message}`;
}
/** A script error whose value is neither a table nor has a position (luaCallFunction). */
export function errRunning(funcname: string, message: string): string {
  return `ERR Error running script ${funcname}, ${message.slice(0, 100)}`;
}

/** lapse's own: the engine is not started yet (the server was not listen()ed). */
/** The engine could not be created (lapse's own: a Lua build other than the pinned one, or no memory for its instance). */
export function errEngineStart(reason: string): string {
  return `ERR The scripting engine could not start: ${reason}`;
}

/** The error a killed script raises, as luaMaskCountHook's luaPushError words it (code ERR added). */
export const ERR_SCRIPT_KILLED = 'ERR Script killed by user with SCRIPT KILL...';
/**
 * lapse's own: a script past busy-reply-threshold that stayed where Lua 5.1 cannot
 * suspend it (inside a table.sort comparator, a gsub callback, a metamethod, xpcall or a
 * pcall of a C function) for another busy-reply-threshold is stopped with this error:
 * meanwhile nobody could be answered, not even SCRIPT KILL (Redis would have answered BUSY).
 */
export const ERR_SCRIPT_UNINTERRUPTIBLE =
  'ERR Script ran past busy-reply-threshold where it could not be suspended (inside a sort comparator, a gsub callback, a metamethod or xpcall) and was stopped';
