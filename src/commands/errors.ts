/**
 * Every error text lapse sends, worded exactly as Redis 7.0 words it (the text after
 * the leading '-'). Handlers never inline message text: they use these.
 */
import { cString } from '../util/c-string.js';

export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';
/** getIntFromObjectOrReply: a valid int64 outside int32 (Redis's wording, "must between"). */
export const ERR_INT_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_OVERFLOW = 'ERR increment or decrement would overflow';
/** DECRBY of -2^63, whose negation does not fit in an int64. */
export const ERR_DECREMENT_OVERFLOW = 'ERR decrement would overflow';
export const ERR_NAN_OR_INFINITY = 'ERR increment would produce NaN or Infinity';
export const ERR_NO_SUCH_KEY = 'ERR no such key';
export const ERR_DB_INDEX = 'ERR DB index is out of range';
export const ERR_STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const ERR_OFFSET_RANGE = 'ERR offset is out of range';
export const ERR_INVALID_CURSOR = 'ERR invalid cursor';
export const ERR_NOAUTH = 'NOAUTH Authentication required.';
export const ERR_WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const ERR_AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. ' +
  'Are you sure your configuration is correct?';
export const ERR_NOPROTO = 'NOPROTO unsupported protocol version';
export const ERR_PROTOCOL_VERSION = 'ERR Protocol version is not an integer or out of range';
export const ERR_NX_XX_GT_LT = 'ERR NX and XX, GT or LT options at the same time are not compatible';
export const ERR_GT_LT = 'ERR GT and LT options at the same time are not compatible';
export const ERR_MULTI_NESTED = 'ERR MULTI calls can not be nested';
export const ERR_EXEC_WITHOUT_MULTI = 'ERR EXEC without MULTI';
export const ERR_DISCARD_WITHOUT_MULTI = 'ERR DISCARD without MULTI';
export const ERR_EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
export const ERR_WATCH_IN_MULTI = 'ERR WATCH inside MULTI is not allowed';
/** A command flagged no_multi (SHUTDOWN, SAVE ...) sent inside MULTI. */
export const ERR_NOT_ALLOWED_IN_MULTI = 'ERR Command not allowed inside a transaction';
export const ERR_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';
export const ERR_NO_SUCH_CLIENT = 'ERR No such client';

/** User input inside an error, as C's "%.<max>s" prints it: cut at max bytes or a NUL. */
function quoteable(s: string, max: number): string {
  const nul = s.indexOf('\0');
  if (nul >= 0 && nul < max) return s.slice(0, nul);
  return s.length > max ? s.slice(0, max) : s;
}

/** Unknown command, with the preview of its first arguments (up to 128 chars). */
export function errUnknownCommand(argv: readonly string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${quoteable(argv[i]!, 128 - args.length)}' `;
  }
  return `ERR unknown command '${quoteable(argv[0]!, 128)}', with args beginning with: ${args}`;
}

/** Unknown subcommand of a container command such as CONFIG or CLIENT. */
export function errUnknownSubcommand(container: string, sub: string): string {
  return `ERR unknown subcommand '${quoteable(sub, 128)}'. Try ${container.toUpperCase()} HELP.`;
}

/** `fullName` is the command's full name as Redis prints it: 'get', 'config|get'. */
export function errWrongArity(fullName: string): string {
  return `ERR wrong number of arguments for '${fullName}' command`;
}

export function errInvalidExpireTime(fullName: string): string {
  return `ERR invalid expire time in '${fullName}' command`;
}

/** An option of EXPIRE and friends that is not NX, XX, GT or LT ("%s": up to a NUL). */
export function errUnsupportedOption(opt: string): string {
  return `ERR Unsupported option ${cString(opt)}`;
}

// Connection: HELLO, AUTH, CLIENT.
export const ERR_NOAUTH_HELLO =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH ' +
  '<user> <pass> option can be used to authenticate the client and select the RESP protocol ' +
  'version at the same time';
export const ERR_INVALID_CLIENT_ID = 'ERR Invalid client ID';
// DEBUG (debug.c).
export const ERR_RELOAD_OPTIONS = 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.';
export const ERR_RELOAD_LOAD = 'ERR Error trying to load the RDB dump';
export const ERR_PACKED_THRESHOLD = 'ERR argument must be a memory value bigger than 1 and smaller than 4gb';
/** A protected command its parameter does not allow (processCommand's wording). */
export function errProtectedCommand(param: 'enable-debug-command' | 'enable-module-command'): string {
  const name = param === 'enable-debug-command' ? 'DEBUG' : 'MODULE';
  return (
    `ERR ${name} command not allowed. If the ${param} option is set to "local", you can run it from a local connection, ` +
    'otherwise you need to set this option in the configuration file, and then restart the server.'
  );
}
export const ERR_UNBLOCK_REASON = 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR';
export const ERR_TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const ERR_TIMEOUT_NEGATIVE = 'ERR timeout is negative';
/** A timeout in milliseconds that is not an integer (WAIT, CLIENT PAUSE: getTimeoutFromObjectOrReply). */
export const ERR_TIMEOUT_NOT_INTEGER = 'ERR timeout is not an integer or out of range';
export const ERR_PAUSE_MODE = 'ERR CLIENT PAUSE mode must be WRITE or ALL';
/** What a client blocked on keys gets from CLIENT UNBLOCK ... ERROR. */
export const ERR_UNBLOCKED = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';

export function errHelloOption(option: string): string {
  return `ERR Syntax error in HELLO option '${cString(option)}'`;
}

export function errUnknownClientType(type: string): string {
  return `ERR Unknown client type '${cString(type)}'`;
}

/** CLIENT SETINFO with an attribute other than LIB-NAME / LIB-VER (Redis 7.2). */
export function errUnrecognizedOption(option: string): string {
  return `ERR Unrecognized option '${cString(option)}'`;
}

/** CLIENT SETINFO value with a byte outside '!'..'~'; names the attribute as given (Redis 7.2). */
export function errClientAttribute(attribute: string): string {
  return `ERR ${cString(attribute)} cannot contain spaces, newlines or special characters.`;
}

// Server: CONFIG, COMMAND, SHUTDOWN.
export function errConfigSetUnknown(name: string): string {
  return `ERR Unknown option or number of arguments for CONFIG SET - '${cString(name)}'`;
}

export function errConfigSetFailed(name: string, reason: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${cString(name)}') - ${reason}`;
}

/** Why CONFIG SET maxclients is refused: the open-file limit allows fewer (updateMaxclients). */
export function maxclientsOverOpenFiles(allowed: number): string {
  return `The operating system is not able to handle the specified number of clients, try with ${allowed}`;
}

export const ERR_INVALID_COMMAND = 'ERR Invalid command specified';
export const ERR_NO_KEY_ARGUMENTS = 'ERR The command has no key arguments';
export const ERR_INVALID_ARGUMENT_COUNT = 'ERR Invalid number of arguments specified for command';
export const ERR_INVALID_ARGUMENTS = 'ERR Invalid arguments specified for command';
export const ERR_NO_SHUTDOWN = 'ERR No shutdown in progress.';
export const ERR_SHUTDOWN_FAILED = 'ERR Errors trying to SHUTDOWN. Check logs.';

// Transactions.
/**
 * EXEC refused before it runs (wrong arity, NOAUTH ...): Redis answers with EXECABORT and
 * the reason. Reasons Redis formats itself (arity, "not allowed") come without their
 * "ERR " code; fixed replies (NOAUTH, OOM ...) keep theirs (rejectCommand/execCommandAbort).
 */
export function errExecRejected(reason: string): string {
  return `EXECABORT Transaction discarded because of: ${reason.startsWith('ERR ') ? reason.slice(4) : reason}`;
}

// Hashes (t_hash.c).
export const ERR_HASH_NOT_INTEGER = 'ERR hash value is not an integer';
export const ERR_HASH_NOT_FLOAT = 'ERR hash value is not a float';
/** HINCRBYFLOAT with an increment that is itself infinite. */
export const ERR_INCREMENT_NAN_OR_INFINITY = 'ERR value is NaN or Infinity';
/** getRangeLongFromObjectOrReply's own range error (HRANDFIELD's count of -2^63). */
export function errLongRange(min: string, max: string): string {
  return `ERR value is out of range, value must between ${min} and ${max}`;
}
/** HRANDFIELD ... WITHVALUES with a count whose doubling would overflow. */
export const ERR_OUT_OF_RANGE = 'ERR value is out of range';

// Sets (t_set.c, and object.c's getPositiveLongFromObjectOrReply).
/** SPOP's and ZPOPMIN's count not an integer or below 0 (getPositiveLongFromObjectOrReply without a message of its own). */
export const ERR_NOT_POSITIVE = 'ERR value is out of range, must be positive';
/** SINTERCARD's and ZINTERCARD's (and the Z*STORE family's) numkeys: not an integer, or below 1. */
export const ERR_NUMKEYS_POSITIVE = 'ERR numkeys should be greater than 0';
export const ERR_NUMKEYS_OVER_ARGS = "ERR Number of keys can't be greater than number of args";
/** EVAL's and FCALL's negative numkeys (eval.c evalGenericCommand). */
export const ERR_NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative";
/** EVALSHA of a sha not in the script cache (shared.noscripterr). */
export const ERR_NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
// FCALL and FUNCTION (functions.c; the engine's wordings are in scripting/function-errors.ts).
export const ERR_FUNCTION_NOT_FOUND = 'ERR Function not found';
export const ERR_FCALL_NUMKEYS = 'ERR Bad number of keys provided';
export const ERR_LIBRARY_NOT_FOUND = 'ERR Library not found';
export const ERR_FUNCTION_CODE_MISSING = 'ERR Function code is missing';
export function errFunctionLoadOption(option: string): string {
  return `ERR Unknown option given: ${option}`;
}
export const ERR_FUNCTION_LIST_NAME_MISSING = 'ERR library name argument was not given';
export function errFunctionListArgument(arg: string): string {
  return `ERR Unknown argument ${arg}`;
}
export const ERR_FUNCTION_FLUSH_MODE = 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option';
export const ERR_FUNCTION_RESTORE_POLICY = 'ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.';
export const ERR_FUNCTION_RESTORE_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
export const ERR_SCRIPT_FLUSH_MODE = 'ERR SCRIPT FLUSH only support SYNC|ASYNC option';
/** Every command but the allow_busy ones while an EVAL script is timed out (shared.slowevalerr). */
export const ERR_BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
/** The same while a function (FCALL) is timed out (shared.slowscripterr). */
export const ERR_BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
/** SCRIPT KILL / FUNCTION KILL with no script running (scriptKill). */
export const ERR_NOTBUSY = 'NOTBUSY No scripts in execution right now.';
/** SCRIPT KILL / FUNCTION KILL of a script that wrote (scriptKill, SCRIPT_WRITE_DIRTY). */
export const ERR_UNKILLABLE =
  'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
/** SINTERCARD's and ZINTERCARD's LIMIT: not an integer, or below 0. */
export const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

// Lists (t_list.c; also ERR_NOT_POSITIVE and ERR_NUMKEYS_POSITIVE above, ERR_COUNT_POSITIVE below).
export const ERR_INDEX_OUT_OF_RANGE = 'ERR index out of range';
export const ERR_LPOS_RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
export const ERR_LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative";
export const ERR_LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";

// Hash field expiration (Redis 7.4: HEXPIRE family, HTTL family, HPERSIST).
export const ERR_HFE_FIELDS_MISSING = 'ERR Mandatory argument FIELDS is missing or not at the right position';
/** HEXPIRE family: numfields not an integer or < 1. */
export const ERR_HFE_NUMFIELDS_POSITIVE = 'ERR Parameter `numFields` should be greater than 0';
/** HTTL family and HPERSIST: numfields not an integer or < 1. */
export const ERR_HFE_NUMFIELDS_POSITIVE_INT = 'ERR Number of fields must be a positive integer';
export const ERR_HFE_NUMFIELDS_MISMATCH = 'ERR The `numfields` parameter must match the number of arguments';
export const ERR_HFE_NEGATIVE_TIME = 'ERR invalid expire time, must be >= 0';
// Persistence: SAVE, BGSAVE, and writes refused after a failed background save.
export const ERR_BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';
/** shared.err: a save that failed (the reason is in the log). */
export const ERR_BARE = 'ERR';
export const ERR_MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. " +
  'Commands that may modify the data set are disabled, because this instance is configured to report ' +
  'errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the ' +
  'Redis logs for details about the RDB error.';
// Pub/sub.
/** A RESP2 client in subscribed mode ran something else (processCommand's check). */
export function errSubscribedContext(fullName: string): string {
  return (
    `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET ` +
    'are allowed in this context'
  );
}

/**
 * A subcommand whose handler refuses its argument count (addReplySubcommandSyntaxError):
 * names the subcommand as given and the command as given, uppercased (ASCII).
 */
export function errSubcommandSyntax(command: string, sub: string): string {
  const upper = cString(command).replace(/[a-z]+/g, (m) => m.toUpperCase());
  return `ERR unknown subcommand or wrong number of arguments for '${quoteable(sub, 128)}'. Try ${upper} HELP.`;
}

// Access control (acl.c, and processCommand's and EXEC's refusals).
export const ERR_NOPERM_KEY = 'NOPERM this user has no permissions to access one of the keys used as arguments';
export const ERR_NOPERM_CHANNEL = 'NOPERM this user has no permissions to access one of the channels used as arguments';
export function errNopermCommand(fullName: string): string {
  return `NOPERM this user has no permissions to run the '${fullName}' command`;
}

/** A queued command that the user's rules, changed since MULTI, no longer allow. */
export function errNopermInExec(reason: 'command' | 'key' | 'channel'): string {
  const why =
    reason === 'command'
      ? 'no permission to execute the command or subcommand'
      : reason === 'key'
        ? 'no permission to touch the specified keys'
        : 'no permission to access one of the channels used as arguments';
  return (
    'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. ' +
    `This command is no longer allowed for the following reason: ${why}`
  );
}

/** ACL DRYRUN's answers (bulk strings, not errors). */
export function aclDryrunCommandDenied(fullName: string): string {
  return `This user has no permissions to run the '${fullName}' command`;
}
export function aclDryrunKeyDenied(key: string): string {
  return `This user has no permissions to access the '${cString(key)}' key`;
}
export function aclDryrunChannelDenied(channel: string): string {
  return `This user has no permissions to access the '${cString(channel)}' channel`;
}
export function errAclDryrunUser(name: string): string {
  return `ERR User '${cString(name)}' not found`;
}
export function errAclDryrunCommand(name: string): string {
  return `ERR Command '${cString(name)}' not found`;
}

// The ACL's own wording (rule errors, ACL SETUSER, ACL SAVE) lives with the ACL, the
// lowest layer that uses it; listed here so every reply text stays findable in this file.
export { ERR_ACL_SAVE_FAILED, aclRuleErrorReason, errAclSetuserModifier, errAclUnmatchedParenthesis } from '../acl/acl-errors.js';
export const ERR_ACL_USERNAME = "ERR Usernames can't contain spaces or null characters";
export const ERR_ACL_DELETE_DEFAULT = "ERR The 'default' user cannot be removed";
export const ERR_ACL_NO_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ' +
  'ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) ' +
  'in order to store users in the Redis configuration.';
export const ERR_ACL_GENPASS =
  'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096';
export function errAclUnknownCategory(name: string): string {
  return `ERR Unknown category '${quoteable(name, 128)}'`;
}
// Limits: CLIENT KILL, maxmemory, MEMORY.
/** CLIENT KILL ID with a value that is not an integer >= 1. */
export const ERR_CLIENT_ID_POSITIVE = 'ERR client-id should be greater than 0';
/** CLIENT KILL MAXAGE (Redis 7.4, not in 7.0): not an integer, or not positive. */
export const ERR_MAXAGE_NOT_INTEGER = 'ERR maxage is not an integer or out of range';
export const ERR_MAXAGE_POSITIVE = 'ERR maxage should be greater than 0';

export function errNoSuchUser(name: string): string {
  return `ERR No such user '${cString(name)}'`;
}

/** A command that may use more memory (denyoom) while used memory is over maxmemory (shared.oomerr). */
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";

/** A handler threw (a bug in lapse): the client gets this in place of the reply (lapse's own). */
export function errInternal(command: string, message: string): string {
  return `ERR internal error running '${command}': ${message}`;
}

/** ACL LOAD found errors in the ACL file: Redis's "ERR <the errors>" (they name the file and line). */
export function errAclLoad(errors: string): string {
  return `ERR ${errors}`;
}

// Bitmaps (bitops.c).
export const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
export const ERR_BIT_VALUE = 'ERR bit is not an integer or out of range';
export const ERR_BIT_ARGUMENT = 'ERR The bit argument must be 1 or 0.';
export const ERR_BITOP_NOT = 'ERR BITOP NOT must be called with a single source key.';
export const ERR_BITFIELD_TYPE = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
export const ERR_BITFIELD_OVERFLOW = 'ERR Invalid OVERFLOW type specified';
export const ERR_BITFIELD_RO = 'ERR BITFIELD_RO only supports the GET subcommand';
/**
 * lapse's own: a string beyond what V8 can hold (536,870,888 bytes, 24 short of the
 * 512 MB proto-max-bulk-len allows), e.g. SETBIT at an offset within the last 24 bytes.
 */
export function errStringTooLongForHost(max: number): string {
  return `ERR string exceeds maximum allowed size (lapse holds strings up to ${max} bytes)`;
}

// LCS (t_string.c).
export const ERR_LCS_WRONGTYPE = 'ERR The specified keys must contain string values';
export const ERR_LCS_LEN_AND_IDX = 'ERR If you want both the length and indexes, please just use IDX.';
export const ERR_LCS_TOO_LONG = 'ERR String too long for LCS';
export const ERR_LCS_OVER_LIMIT = 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';
export const ERR_LCS_NO_MEMORY = 'ERR Insufficient memory, failed allocating transient memory for LCS';

// COPY, MOVE, SWAPDB, OBJECT (db.c, object.c).
export const ERR_SAME_OBJECT = 'ERR source and destination objects are the same';
export const ERR_SWAPDB_FIRST = 'ERR invalid first DB index';
export const ERR_SWAPDB_SECOND = 'ERR invalid second DB index';
export const ERR_OBJECT_NO_LFU =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const ERR_OBJECT_LFU =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

// DUMP and RESTORE (cluster.c).
export const ERR_BUSYKEY = 'BUSYKEY Target key name already exists.';
export const ERR_RESTORE_TTL = 'ERR Invalid TTL value, must be >= 0';
export const ERR_RESTORE_IDLETIME = 'ERR Invalid IDLETIME value, must be >= 0';
export const ERR_RESTORE_FREQ = 'ERR Invalid FREQ value, must be >= 0 and <= 255';
export const ERR_DUMP_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
export const ERR_BAD_DATA_FORMAT = 'ERR Bad data format';
// Sorted sets (t_zset.c, object.c's range readers).
export const ERR_ZADD_XX_NX = 'ERR XX and NX options at the same time are not compatible';
export const ERR_ZADD_GT_LT_NX = 'ERR GT, LT, and/or NX options at the same time are not compatible';
export const ERR_ZADD_INCR_PAIR = 'ERR INCR option supports a single increment-element pair';
export const ERR_ZSET_NAN = 'ERR resulting score is not a number (NaN)';
export const ERR_MIN_MAX_NOT_FLOAT = 'ERR min or max is not a float';
export const ERR_MIN_MAX_NOT_STRING_RANGE = 'ERR min or max not valid string range item';
export const ERR_WEIGHT_NOT_FLOAT = 'ERR weight value is not a float';
export const ERR_COUNT_POSITIVE = 'ERR count should be greater than 0';
export const ERR_ZRANGE_LIMIT = 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX';
export const ERR_ZRANGE_WITHSCORES_BYLEX = 'ERR syntax error, WITHSCORES not supported in combination with BYLEX';
/** ZUNION/ZINTER/ZDIFF(STORE)/ZINTERCARD with numkeys < 1 (`fullName` as Redis prints it). */
export function errAtLeastOneKey(fullName: string): string {
  return `ERR at least 1 input key is needed for '${fullName}' command`;
}

// SORT and SORT_RO (sort.c; addReplyError prefixes "ERR ").
export const ERR_SORT_SCORES = "ERR One or more scores can't be converted into double";
export const ERR_SORT_BY_ACL = 'ERR BY option of SORT denied due to insufficient ACL permissions.';
export const ERR_SORT_GET_ACL = 'ERR GET option of SORT denied due to insufficient ACL permissions.';
/** DEBUG PROTOCOL with an unknown type name (debug.c). */
export const ERR_DEBUG_PROTOCOL_TYPE =
  'ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false';
/** DEBUG PROTOCOL push from a RESP2 client (debug.c). */
export const ERR_DEBUG_PROTOCOL_PUSH_RESP2 = 'ERR RESP2 is not supported by this command';

// Replication (replication-commands.ts).
export const ERR_SYNC_PENDING_OUTPUT = 'ERR SYNC and PSYNC are invalid with pending output';
export const ERR_NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';
export const replconfIpTooLong = (bytes: number): string =>
  `ERR REPLCONF ip-address provided by replica instance is too long: ${bytes} bytes`;
export const replconfUnrecognized = (option: string): string => `ERR Unrecognized REPLCONF option: ${option}`;
export const ERR_FILTERED_NEEDS_EOF = 'ERR Filtered replica requires EOF capability';
export const ERR_RDB_FILTER_MISSING = 'ERR Missing rdb-filter-only values';
export const rdbFilterUnsupported = (option: string): string => `ERR Unsupported rdb-filter-only option: ${option}`;
/** getRangeLongFromObjectOrReply's own wording (sic). */
export const ERR_RDB_ONLY_RANGE = 'ERR value is out of range, value must between 0 and 1';
export const ERR_NOMASTERLINK_SYNC = "NOMASTERLINK Can't SYNC while not connected with my master";
export const ERR_WAIT_ON_REPLICA =
  'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.';
export const ERR_REPLICAOF_BY_REPLICA = 'ERR Command is not valid when client is a replica.';
export const ERR_INVALID_MASTER_PORT = 'ERR Invalid master port';
export const ERR_UNBLOCKED_ROLE_CHANGE = 'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)';
export const ERR_READONLY_REPLICA = "READONLY You can't write against a read only replica.";
export const ERR_MASTERDOWN =
  "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const ERR_NO_CONFIG_FILE = 'ERR The server is running without a config file';
export const errRewritingConfig = (reason: string): string => `ERR Rewriting config file: ${reason}`;
export const ERR_MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client";

// CLIENT TRACKING, CACHING (networking.c, tracking.c).
export const ERR_TRACKING_ONE_REDIRECT = 'ERR A client can only redirect to a single other client';
export const ERR_TRACKING_NO_REDIRECT_TARGET = 'ERR The client ID you want redirect to does not exist';
export const ERR_TRACKING_PREFIX_NEEDS_BCAST = 'ERR PREFIX option requires BCAST mode to be enabled';
export const ERR_TRACKING_SWITCH_BCAST =
  "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
export const ERR_TRACKING_OPT_WITH_BCAST = 'ERR OPTIN and OPTOUT are not compatible with BCAST';
export const ERR_TRACKING_OPTIN_AND_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode";
export const ERR_TRACKING_SWITCH_OPT =
  "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
export const ERR_CACHING_NOT_TRACKING =
  'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled';
export const ERR_CACHING_YES_NOT_OPTIN = 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.';
export const ERR_CACHING_NO_NOT_OPTOUT = 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.';

/** A BCAST prefix that overlaps one the client already has (checkPrefixCollisionsOrReply). */
export function errPrefixOverlapsExisting(prefix: string, existing: string): string {
  return `ERR Prefix '${cString(prefix)}' overlaps with an existing prefix '${cString(existing)}'. Prefixes for a single client must not overlap.`;
}

/** Two BCAST prefixes of one CLIENT TRACKING that overlap. */
export function errPrefixOverlapsProvided(prefix: string, other: string): string {
  return `ERR Prefix '${cString(prefix)}' overlaps with another provided prefix '${cString(other)}'. Prefixes for a single client must not overlap.`;
}

// The slow log and the latency monitor (slowlog.c, latency.c).
/** SLOWLOG GET's count error, for a count that is not an integer too (getRangeLongFromObjectOrReply with a message). */
export const ERR_SLOWLOG_COUNT = 'ERR count should be greater than or equal to -1';

/** LATENCY GRAPH of an event with no samples. */
export function errNoLatencySamples(event: string): string {
  return `ERR No samples available for event '${event}'`;
}
