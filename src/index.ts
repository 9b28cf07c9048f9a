/**
 * lapse: a Redis-compatible in-memory session store.
 *
 *   import { createServer } from 'lapse';
 *   const server = createServer({ port: 0 });
 *   const { port } = await server.listen();
 *   // ... point ioredis / node-redis at 127.0.0.1:port ...
 *   await server.close();
 */
export { createServer, LapseServer, type ServerOptions } from './server/server.js';
export { ListenError, type ListenAddress } from './server/listeners.js';
export { SystemClock, ManualClock, type Clock } from './keyspace/clock.js';
export type { Logger, LogLevel } from './server/logger.js';
export { VERSION } from './version.js';
