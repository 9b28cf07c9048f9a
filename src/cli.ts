import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { argvToConfig, Config, ConfigFileError, loadConfigText } from './config/config.js';
import { errCantOpenConfigFile } from './config/config-errors.js';
import { createServer, StartupError, type LapseServer } from './server/server.js';
import { ListenError } from './server/listeners.js';
import type { Supervisor } from './server/shutdown.js';
import type { LogLevel } from './server/logger.js';
import { daemonize, daemonStatusPipe } from './process/daemon.js';
import { DEFAULT_PID_FILE, removePidFile, writePidFile } from './process/pid-file.js';
import { notifyReady, startSupervision, supervisionMode, supervisionPossible } from './process/supervision.js';
import { setProcessTitle } from './process/title.js';
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
 * configuration text, then a server is started, in this process or, with daemonize yes,
 * in a daemon (src/process/daemon.ts). Around the server, as redis-server does: the pid
 * file, supervision by systemd or upstart, the process title, the crash log. Exit code 1
 * with one line on error.
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
  const daemon = daemonStatusPipe();
  const fail = (message: string): never => {
    daemon?.failed(message);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  };
  let server: LapseServer;
  let supervisor: Supervisor | null = null;
  let pidFile = '';
  try {
    const { file, text } = argvToConfig(argv);
    let configText = '';
    if (file !== undefined) {
      try {
        configText = fs.readFileSync(file, 'latin1') + '\n';
      } catch (e) {
        fail(errCantOpenConfigFile(file, (e as NodeJS.ErrnoException).code));
      }
    }
    // The parameters first (errors reach the terminal before any daemon starts). V8's
    // heap limit is given to node by bin/lapse, which execs it (no second process), and
    // a daemon inherits node's flags; the server warns if the limit is too small for
    // maxmemory. `user` and `rename-command` lines are checked by the server itself.
    const settings = new Config();
    loadConfigText(settings, configText + text, VERSION);
    // As Redis: a supervised server stays in the foreground even with daemonize yes. The
    // daemon itself is never supervised (its parent found no supervision to start).
    const mode = daemon === null ? supervisionMode(settings.string('supervised')) : null;
    if (settings.bool('daemonize') && daemon === null && !supervisionPossible(mode)) {
      await daemonize();
    }
    // Supervision starts before the server exists (Redis stops for upstart, and tells
    // systemd it is loading, before it loads); its log lines wait for the logger.
    const early: [LogLevel, string][] = [];
    if (mode !== null) supervisor = startSupervision(mode, (level, message) => early.push([level, message]));
    server = createServer({
      configText: configText + text,
      configFile: file ? path.resolve(file) : '',
      logger: 'stdout',
      persistence: 'redis',
      supervisor: supervisor ?? undefined,
      ownsProcess: true,
    });
    for (const [level, message] of early) server.log(level, message);
    // Redis writes a pid file when daemonized (at its default path if none is set) or
    // when one is set; relative to its working directory, dir.
    if (daemon !== null && server.config.string('pidfile') === '') server.config.setInitial('pidfile', [DEFAULT_PID_FILE]);
    if (server.config.string('pidfile') !== '') pidFile = path.resolve(server.config.string('dir'), server.config.string('pidfile'));
  } catch (e) {
    if (e instanceof ConfigFileError) fail(e.message.trim());
    if (e instanceof StartupError) fail(e.message);
    throw e;
  }
  const configFile = server.info.configFile;
  if (server.config.bool('set-proc-title')) setProcessTitle(server.config, configFile);
  server.config.onChange((name) => {
    if (name === 'proc-title-template') setProcessTitle(server.config, configFile);
  });
  // crash-log-enabled: an uncaught exception (lapse's crash) goes to the log too, not
  // only to stderr, which is /dev/null in a daemon. Node then exits as it would.
  process.on('uncaughtExceptionMonitor', (err) => {
    if (server.config.bool('crash-log-enabled')) server.log('warning', `=== LAPSE BUG REPORT ===\n${err.stack ?? String(err)}`);
  });
  const exit = () => {
    if (pidFile !== '') {
      server.log('notice', 'Removing the pid file.');
      removePidFile(pidFile);
    }
    server.log('warning', 'lapse is now ready to exit, bye bye...');
    process.exit(0);
  };
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
      exit();
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // As Redis (initServer): a hang-up of the terminal does not stop the server.
  process.on('SIGHUP', () => undefined);
  server.onShutdown(exit);
  // Signals are handled before the ready line is printed, so a supervisor that signals
  // as soon as it sees it gets a clean shutdown.
  try {
    await server.listen();
  } catch (e) {
    const message =
      e instanceof ListenError ? e.message
      : e instanceof RdbError ? `Fatal error loading the DB (${server.persistence.path}): ${e.message}. Exiting.`
      : undefined;
    if (message === undefined) throw e;
    if (daemon !== null) server.log('warning', message);
    fail(message);
  }
  if (pidFile !== '') writePidFile(pidFile);
  notifyReady(supervisor);
  daemon?.ready();
}

/**
 * Whether this module is the program node was given (npm run dev: tsx src/cli.ts; node
 * dist/cli.js). Node names the module by its real path, so the path given is resolved
 * too: through a symlinked directory (a `current` link to a release) the module and
 * argv[1] differ, and the server silently did not start.
 */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(fs.realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main(process.argv.slice(2));
