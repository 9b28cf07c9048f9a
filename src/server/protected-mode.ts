import type net from 'node:net';

/** The reply to a connection refused by protected mode (Redis 7.0's networking.c, byte for byte). */
export const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set ' +
  'for the default user. In this mode connections are only accepted from the loopback interface. If you ' +
  'want to connect from external computers to Redis you may adopt one of the following solutions: 1) ' +
  "Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback " +
  'interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is ' +
  'not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. ' +
  '2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and ' +
  "setting the protected mode option to 'no', and then restarting the server. 3) If you started the " +
  "server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an " +
  'authentication password for the default user. NOTE: You only need to do one of the above things in ' +
  'order for the server to start accepting connections from the outside.\r\n';

/**
 * Whether protected mode refuses a client from this address (clientAcceptHandler): only
 * 127.0.0.1 and ::1 count as loopback, as in Redis (other 127.x addresses do not).
 */
export function protectedModeRefuses(protectedMode: boolean, defaultNopass: boolean, remoteAddress: string | undefined): boolean {
  if (!protectedMode || !defaultNopass) return false;
  const address = remoteAddress?.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
  return address !== '127.0.0.1' && address !== '::1';
}

/**
 * Sends a refusal (an error line) to a client that is not kept, and closes it once the
 * line is flushed, as Redis does. Destroying once it is flushed matters: an ended
 * socket whose client sent data is never read, so it would never see the client's FIN
 * and would stay open (keeping close() waiting) for ever.
 */
export function refuseConnection(socket: net.Socket, reply: string): void {
  socket.on('error', () => socket.destroy());
  socket.end(reply, () => socket.destroy());
}
