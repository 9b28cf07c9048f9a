import { cString } from '../util/c-string.js';

/**
 * Every wording of the ACL layer, as Redis 7.0's acl.c words it: why a rule is refused,
 * ACL SETUSER's and ACL SAVE's errors (commands/errors.ts re-exports those, with the
 * other replies), and the errors of `user` lines and ACL files at start-up and ACL LOAD.
 * Arguments are printed as C prints them: up to a NUL.
 */

/** Why an ACL rule was refused (ACLSetUserStringError), by Redis's errno. */
export function aclRuleErrorReason(code: string): string {
  switch (code) {
    case 'ENOENT': return 'Unknown command or category name in ACL';
    case 'EINVAL': return 'Syntax error';
    case 'EEXIST':
      return (
        "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any " +
        "effect. Try 'resetkeys' to start with an empty list of patterns"
      );
    case 'EISDIR':
      return (
        "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have " +
        "any effect. Try 'resetchannels' to start with an empty list of channels"
      );
    case 'ENODEV': return 'The password you are trying to remove from the user does not exist';
    case 'EBADMSG': return 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
    case 'EALREADY': return 'Duplicate user found. A user can only be defined once in config files';
    case 'ECHILD': return 'Allowing first-arg of a subcommand is not supported';
    default: return 'Wrong format';
  }
}

export function errAclSetuserModifier(rule: string, reason: string): string {
  return `ERR Error in ACL SETUSER modifier '${cString(rule)}': ${reason}`;
}
export function errAclUnmatchedParenthesis(arg: string): string {
  return `ERR Unmatched parenthesis in acl selector starting at '${cString(arg)}'.`;
}

export const ERR_ACL_SAVE_FAILED =
  'ERR There was an error trying to save the ACLs. Please check the server logs for more information';

/** A `user` line of the configuration refused (ACLAppendUserForLoading). */
export function errUserDeclaration(arg: string, reason: string): string {
  return `Error in user declaration '${cString(arg)}': ${reason}`;
}

export const ERR_USERS_AND_ACLFILE =
  'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is ' +
  'invalid. This setup is very likely to lead to configuration errors and security holes, please ' +
  'define either an ACL file or declare users directly in your redis.conf, but not both.';

export const ERR_STARTUP_USERNAME_SPACES = 'Spaces not allowed in ACL usernames';

export function errLoadingRule(rule: string, user: string, reason: string): string {
  return `Error loading ACL rule '${cString(rule)}' for the user named '${cString(user)}': ${reason}`;
}

/** Logged, not refused: a configured user without `on`. */
export function noticeUserDisabled(user: string): string {
  return (
    `The user '${cString(user)}' is disabled (there is no 'on' modifier in the user description). ` +
    'Make sure this is not a configuration error.'
  );
}

export function errAbortStartup(errors: string): string {
  return `Aborting Redis startup because of ACL errors: ${errors}`;
}

/** ACL file errors (ACLLoadFromFile); each line's text ends with a space, as Redis joins them. */
export function errOpeningAclFile(path: string, why: string): string {
  return `Error loading ACLs, opening file '${path}': ${why}`;
}
export function errAclFileUserKeyword(path: string, line: number): string {
  return `${path}:${line} should start with user keyword followed by the username. `;
}
export function errAclFileUsername(path: string, line: number, user: string): string {
  return `'${path}:${line}: username '${cString(user)}' contains invalid characters. `;
}
export function errAclFileDuplicateUser(user: string, line: number): string {
  return `WARNING: Duplicate user '${cString(user)}' found on line ${line}. `;
}
/** Redis 7.0 crashes here (it goes on with the freed rules); this is the error it means. */
export function errAclFileParenthesis(path: string, line: number): string {
  return `${path}:${line}: Unmatched parenthesis in selector definition.`;
}
export function errAclFileOperation(path: string, line: number, rule: string, reason: string): string {
  return `${path}:${line}: Error in applying operation '${cString(rule)}': ${reason}. `;
}
export function errAclFileRule(path: string, line: number, reason: string): string {
  return `${path}:${line}: ${reason}. `;
}
export function errAclFileRejected(errors: string): string {
  return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
}

/** Logged when ACL SAVE cannot write (the client gets ERR_ACL_SAVE_FAILED). */
export function warnAclSaveWrite(why: string): string {
  return `Writing ACL file for ACL SAVE: ${why}`;
}
