/** What a redacted argument reads as (Redis's shared.redacted). */
const REDACTED = '(redacted)';

/**
 * Parameters whose values CONFIG SET hides (Redis 7.0's SENSITIVE_CONFIG): passwords.
 * Names as typed are compared in lowercase; aliases of these have none.
 */
const SENSITIVE_PARAMS: ReadonlySet<string> = new Set(['requirepass', 'masterauth', 'tls-key-file-pass', 'tls-client-key-file-pass']);

/**
 * A command's arguments (`fullName`: 'auth', 'config|set') as MONITOR and the slow log show them: the secrets a command
 * hides with Redis 7.0's redactClientCommandArgument replaced by "(redacted)", where the
 * command reaches the point that hides them (AUTH with more than two arguments is refused
 * before, and shows them). Other commands' arguments come back as they are.
 */
export function redactedArguments(fullName: string, argv: readonly string[]): readonly string[] {
  switch (fullName) {
    case 'auth':
      if (argv.length > 3) return argv;
      return argv.map((a, i) => (i === 0 ? a : REDACTED));
    case 'hello':
      return helloRedacted(argv);
    case 'acl|setuser':
      return argv.map((a, i) => (i < 2 ? a : REDACTED));
    case 'config|set':
      return configSetRedacted(argv);
    default:
      return argv;
  }
}

/** HELLO [protover [AUTH username password] [SETNAME name]]: each AUTH pair, as the option loop reaches it. */
function helloRedacted(argv: readonly string[]): readonly string[] {
  let out: string[] | null = null;
  for (let j = 2; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!.toLowerCase();
    if (opt === 'auth' && more >= 2) {
      out ??= [...argv];
      out[j + 1] = REDACTED;
      out[j + 2] = REDACTED;
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      j++;
    } else {
      break;
    }
  }
  return out ?? argv;
}

/** CONFIG SET name value [name value ...]: the values of password parameters, once the argument count is right. */
function configSetRedacted(argv: readonly string[]): readonly string[] {
  if (argv.length < 4 || argv.length % 2 !== 0) return argv;
  let out: string[] | null = null;
  for (let j = 2; j < argv.length; j += 2) {
    if (SENSITIVE_PARAMS.has(argv[j]!.toLowerCase())) {
      out ??= [...argv];
      out[j + 1] = REDACTED;
    }
  }
  return out ?? argv;
}
