import type { ScriptHost } from '../../src/scripting/script-run.js';

/**
 * A stand-in for the dispatcher in the engines' unit tests: every redis.call answers +OK
 * and every ACL check passes (the server's own path is proven in test/compat/).
 */
export const OK_HOST: ScriptHost = {
  call: (_argv, run) => {
    run.reply.simple('OK');
    return null;
  },
  aclCheck: () => true,
};
