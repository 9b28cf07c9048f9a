import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { argvToConfig, ConfigFileError } from './config/config.js';
import { createServer, ListenError, StartupError, type LapseServer } from './server/server.js';
import { VERSION } from './version.js';
import { RdbError } from './persistence/rdb-reader.js';

const USAGE = `Usage: lapse [/path/to/lapse.conf] [--option value ...]
       lapse --version
       lapse --help

Options are redis.conf parameters, e.g.:
       lapse --port 7000 --bind 127.0.0.1 --databases 16 --loglevel notice
       lapse ./lapse.conf --port 7001     (later options win)
`;

/**
 * The command line: options and an optional config file (redis.conf syntax) become
 * configuration text, then a server is started. Exit code 1 with one line on error.
 */
export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`lapse v=${VERSION}\n`);
    return;
  }
  let server: LapseServer;
  try {
    const { file, text } = argvToConfig(argv);
    let configText = '';
    if (file !== undefined) {
      try {
        configText = fs.readFileSync(file, 'latin1') + '\n';
      } catch (e) {
        fail(`Fatal error, can't open config file '${file}': ${(e as Error).message}`);
      }
    }
    // V8's heap limit is given to node by bin/lapse, which execs it (no second process);
    // the server warns if it is too small for maxmemory. This process is the server's own.
    server = createServer({
      configText: configText + text,
      configFile: file ? path.resolve(file) : '',
      logger: 'stdout',
      persistence: 'redis',
      ownsProcess: true,
    });
  } catch (e) {
    if (e instanceof ConfigFileError) fail(e.message.trim());
    if (e instanceof StartupError) fail(e.message);
    throw e;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // As Redis: save first when save points are configured; if that fails, keep serving.
    void server.shutdownOnSignal(signal).then((done) => {
      if (!done) {
        stopping = false;
        return;
      }
      server.log('warning', 'lapse is now ready to exit, bye bye...');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  server.onShutdown(() => {
    server.log('warning', 'lapse is now ready to exit, bye bye...');
    process.exit(0);
  });
  // Signals are handled before the ready line is printed, so a supervisor that signals
  // as soon as it sees it gets a clean shutdown.
  try {
    await server.listen();
  } catch (e) {
    if (e instanceof ListenError) fail(e.message);
    if (e instanceof RdbError) fail(`Fatal error loading the DB (${server.persistence.path}): ${e.message}. Exiting.`);
    throw e;
  }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// Run when executed directly (npm run dev: tsx src/cli.ts).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2));
}
