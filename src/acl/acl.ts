import fs from 'node:fs';
import nodePath from 'node:path';
import {
  ERR_ACL_SAVE_FAILED,
  ERR_STARTUP_USERNAME_SPACES,
  ERR_USERS_AND_ACLFILE,
  aclRuleErrorReason,
  errAbortStartup,
  errAclFileDuplicateUser,
  errAclFileOperation,
  errAclFileParenthesis,
  errAclFileRejected,
  errAclFileRule,
  errAclFileUserKeyword,
  errAclFileUsername,
  errAclSetuserModifier,
  errAclUnmatchedParenthesis,
  errLoadingRule,
  errOpeningAclFile,
  errUserDeclaration,
  noticeUserDisabled,
  warnAclSaveWrite,
} from './acl-errors.js';
import { strerror } from '../util/strerror.js';
import { cString } from '../util/c-string.js';
import { AclCommandIndex, type AclCommandSource } from './command-index.js';
import { AclLog } from './log.js';
import { KeyFinder } from './key-specs.js';
import { type AclRuleError, type AclSettings, KeyCache, User, hasSpaces } from './user.js';

/**
 * The users of a server (Redis 7.0's acl.c around the rules themselves): the default
 * user and requirepass, ACL SETUSER's all-or-nothing changes, authentication, `user`
 * lines of the configuration, the ACL file (aclfile, ACL LOAD, ACL SAVE) and the ACL log.
 *
 * It knows no client: the command layer applies what changes mean for connections
 * (clients of a deleted user are closed, pub/sub clients that lost a channel too).
 */
export class Acl implements AclSettings {
  readonly index: AclCommandIndex;
  private users = new Map<string, User>();
  /** Every connection starts as this user; it is never deleted nor replaced. */
  readonly defaultUser: User;
  readonly log: AclLog;
  /** acl-pubsub-default is allchannels. */
  allChannelsByDefault = false;
  /** Where this server's commands have their keys (ACL key checks, COMMAND GETKEYS). */
  readonly keyFinder = new KeyFinder();
  readonly checkedKeys = new KeyCache(this.keyFinder);
  /** See AclSettings.deniedIndex: read it right after User.check refused a command. */
  deniedIndex = 0;
  /** `user` lines of the configuration, checked when read and applied at start-up. */
  private readonly usersToLoad: string[][] = [];

  constructor(
    table: AclCommandSource,
    logMaxLength: () => number,
    private readonly logger: (level: 'notice' | 'warning', message: string) => void,
  ) {
    this.index = new AclCommandIndex(table);
    this.log = new AclLog(logMaxLength);
    this.defaultUser = this.newDefaultUser();
    this.users.set('default', this.defaultUser);
  }

  warn(message: string): void {
    this.logger('warning', message);
  }

  /**
   * Whether a connection that has not authenticated must (authRequired): the default
   * user has a password, or is off.
   */
  get defaultRequiresAuth(): boolean {
    return !this.defaultUser.nopass || !this.defaultUser.enabled;
  }

  /** Whether a new connection starts authenticated as the default user. */
  get defaultAuthenticates(): boolean {
    return this.defaultUser.nopass && this.defaultUser.enabled;
  }

  getUser(name: string): User | undefined {
    return this.users.get(name);
  }

  /** Every user, sorted by name bytes (Redis keeps them in a radix tree). */
  allUsers(): User[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * requirepass: the default user's only password, or no password at all when empty
   * (ACLUpdateDefaultUserPassword).
   */
  setRequirepass(password: string): void {
    const u = this.defaultUser;
    u.apply('resetpass');
    u.apply(password === '' ? 'nopass' : `>${password}`);
  }

  /** The user whose name and password these are, if enabled (ACLCheckUserCredentials). */
  authenticate(username: string, password: string): User | null {
    const u = this.users.get(username);
    if (u === undefined || !u.enabled) return null;
    return u.passwordMatches(password) ? u : null;
  }

  /**
   * ACL SETUSER's rules applied to a copy of the user (a new user if there is none), all
   * or nothing: the copy, or the error to reply. Rules given over several arguments
   * inside parentheses form one selector.
   */
  stageUser(name: string, args: readonly string[]): User | string {
    const merged = mergeSelectorArguments(args);
    if (typeof merged === 'number') return errAclUnmatchedParenthesis(args[merged]!);
    const staged = new User(name, this);
    const existing = this.users.get(name);
    if (existing !== undefined) staged.copyFrom(existing);
    for (const rule of merged) {
      const error = staged.apply(rule);
      if (error !== null) return errAclSetuserModifier(rule, aclRuleErrorReason(error));
    }
    return staged;
  }

  /** Makes a staged user the user of that name (created if new); returns it. */
  commitUser(staged: User): User {
    let u = this.users.get(staged.name);
    if (u === undefined) {
      u = new User(staged.name, this);
      this.users.set(u.name, u);
    }
    u.copyFrom(staged);
    return u;
  }

  /** Removes a user (not the default one); false if there is none by that name. */
  deleteUser(name: string): User | undefined {
    const u = this.users.get(name);
    if (u === undefined || u === this.defaultUser) return undefined;
    this.users.delete(name);
    return u;
  }

  /**
   * A `user <name> <rules...>` line of the configuration (ACLAppendUserForLoading): its
   * rules are checked now, on a throw-away user, except that unknown commands are
   * accepted (Redis waits for modules there), and applied at start-up. Returns the error
   * text for the configuration error, or null.
   */
  appendUserForLoading(args: readonly string[]): string | null {
    // args[0] is the user name; Redis names the argument at the failing rule's index in
    // the merged rules, counted from the directive itself ("user").
    const directive = ['user', ...args];
    const fail = (index: number, error: AclRuleError) => errUserDeclaration(directive[index]!, aclRuleErrorReason(error));
    if (this.usersToLoad.some((u) => u[0] === args[0])) return fail(1, 'EALREADY');
    const merged = mergeSelectorArguments(args.slice(1));
    // Redis reports an unmatched parenthesis with whatever errno was left: ENOENT there.
    if (typeof merged === 'number') return fail(merged, 'ENOENT');
    const probe = new User('', this);
    for (let j = 0; j < merged.length; j++) {
      const error = probe.apply(merged[j]!);
      if (error !== null && error !== 'ENOENT') return fail(j, error);
    }
    this.usersToLoad.push([args[0]!, ...merged]);
    return null;
  }

  /**
   * Start-up (ACLLoadUsersAtStartup): the configured users, or the ACL file, not both.
   * Returns the reason to refuse to start, or null.
   */
  loadAtStartup(aclfile: string, dir: string): string | null {
    if (aclfile !== '' && this.usersToLoad.length > 0) {
      return ERR_USERS_AND_ACLFILE;
    }
    for (const [name, ...rules] of this.usersToLoad) {
      if (hasSpaces(name!)) return ERR_STARTUP_USERNAME_SPACES;
      let u = this.users.get(name!);
      if (u === undefined) {
        u = new User(name!, this);
        this.users.set(u.name, u);
      } else {
        u.apply('reset');
      }
      for (const rule of rules) {
        const error = u.apply(rule);
        if (error !== null) {
          return errLoadingRule(rule, name!, aclRuleErrorReason(error));
        }
      }
      if (!u.enabled) {
        this.logger('notice', noticeUserDisabled(name!));
      }
    }
    if (aclfile !== '') {
      const errors = this.loadFile(aclfile, dir);
      if (errors !== null) return errAbortStartup(errors);
    }
    return null;
  }

  /**
   * Replaces every user by those of the ACL file (ACL LOAD), all or nothing: returns
   * null, or the errors found (and nothing changed). The default user keeps its
   * identity and takes the file's rules (Redis's defaults if the file has none); the
   * other users are new objects, so connections of the old ones must be closed: they
   * are returned in `replaced`. A relative path is taken from `dir`, the working
   * directory Redis would have; messages name the file as configured.
   */
  loadFile(path: string, dir: string, replaced: User[] = []): string | null {
    let text: string;
    try {
      text = fs.readFileSync(nodePath.resolve(dir, path), 'latin1');
    } catch (e) {
      return errOpeningAclFile(path, errorText(e as NodeJS.ErrnoException));
    }
    const users = new Map<string, User>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const linenum = i + 1;
      if (line.length === 0) continue;
      // Split at each single space, as sdssplitlen: two spaces make an empty argument.
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += errAclFileUserKeyword(path, linenum);
        continue;
      }
      const name = argv[1]!;
      if (hasSpaces(name)) {
        errors += errAclFileUsername(path, linenum, name);
        continue;
      }
      if (users.has(name)) {
        errors += errAclFileDuplicateUser(name, linenum);
        continue;
      }
      const u = new User(name, this);
      users.set(name, u);
      const merged = mergeSelectorArguments(argv.slice(2));
      if (typeof merged === 'number') {
        errors += errAclFileParenthesis(path, linenum);
        continue;
      }
      // An unknown command is named; of the other errors only a line's first is
      // reported, as it may be the cause of the next ones.
      let reported = false;
      for (const arg of merged) {
        const rule = arg.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        const error = u.apply(rule);
        if (error === 'ENOENT') {
          errors += errAclFileOperation(path, linenum, rule, aclRuleErrorReason(error));
        } else if (error !== null && !reported) {
          errors += errAclFileRule(path, linenum, aclRuleErrorReason(error));
          reported = true;
        }
      }
    }
    if (errors !== '') {
      return errAclFileRejected(errors);
    }
    const fileDefault = users.get('default') ?? this.newDefaultUser();
    this.defaultUser.copyFrom(fileDefault);
    users.set('default', this.defaultUser);
    for (const old of this.users.values()) if (old !== this.defaultUser) replaced.push(old);
    this.users = users;
    return null;
  }

  /** ACL SAVE: every user in the ACL file format, written to a temporary file then renamed. */
  saveFile(path: string, dir: string): string | null {
    let text = '';
    for (const u of this.allUsers()) text += `user ${u.name} ${u.describe()}\n`;
    const target = nodePath.resolve(dir, path);
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    try {
      fs.writeFileSync(tmp, text, { encoding: 'latin1', mode: 0o644 });
      fs.renameSync(tmp, target);
      return null;
    } catch (e) {
      this.logger('warning', warnAclSaveWrite(errorText(e as NodeJS.ErrnoException)));
      try {
        fs.unlinkSync(tmp);
      } catch {
        // Nothing was written.
      }
      return ERR_ACL_SAVE_FAILED;
    }
  }

  /** The default user as Redis creates it: every command, key and channel, no password. */
  private newDefaultUser(): User {
    const u = new User('default', this);
    for (const rule of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(rule);
    return u;
  }
}

/**
 * Joins a selector written over several arguments ("(~x" "+get)") into one, as Redis's
 * ACLMergeSelectorArguments: an argument starting with '(' and not ending with ')'
 * opens it, the next argument ending with ')' closes it. Returns the index of the
 * argument that opened a selector never closed.
 */
export function mergeSelectorArguments(args: readonly string[]): string[] | number {
  const out: string[] = [];
  let open = -1;
  let selector = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j]!;
    // As in Redis, a '(' argument opens a selector even inside one (the first is dropped).
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${cString(op)}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(selector);
      }
      continue;
    }
    out.push(op);
  }
  return open === -1 ? out : open;
}

/** strerror's words for an error opening a file, or node's where the table has none. */
function errorText(e: NodeJS.ErrnoException): string {
  return strerror(e.code) ?? e.message;
}
