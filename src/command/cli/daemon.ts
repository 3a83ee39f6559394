import { parseCommandArgs, UsageError } from './args';
import { print, printError, type Command } from './command';
import { daemonLogFile, daemonSocket } from './paths';

/** The contract of src/daemon/server.ts (startDaemon), declared here so that it loads only when used. */
interface DaemonHandle {
  socketPath: string;
  close(): Promise<void>;
}
interface DaemonServer {
  startDaemon(options: {
    socketPath: string;
    logFile: string;
    maxBytes?: number;
    backups?: number;
    otlpEndpoint?: string;
  }): Promise<DaemonHandle>;
}

const USAGE = `Usage: mima-guard daemon [--socket P] [--log-file P] [--max-bytes N] [--backups N] [--otlp-endpoint URL]

Runs the local daemon that guards in other processes send their records to. It writes
each batch to its JSONL log (rotated like the guard's) before acknowledging it.
SIGTERM or SIGINT drains what it holds, then exits 0.

Options:
  --socket P            Unix socket to listen on. Default: MIMA_DAEMON_SOCKET or ~/.mima/daemon.sock
  --log-file P          JSONL log to write. Default: MIMA_DAEMON_LOG_FILE or ~/.mima/daemon_log.jsonl
  --max-bytes N         rotate the log before it passes N bytes. Default: 10485760 (10 MB)
  --backups N           rotated logs kept (log.1 ... log.N). Default: 3
  --otlp-endpoint URL   also export records over OTLP/HTTP. Default: OTEL_EXPORTER_OTLP_ENDPOINT
  -h, --help            show this help`;

export const daemonCommand: Command = {
  name: 'daemon',
  summary: 'run the local daemon that receives records over a Unix socket',
  usage: USAGE,
  async run(args) {
    const values = parseCommandArgs('daemon', args, {
      socket: { type: 'string' },
      'log-file': { type: 'string' },
      'max-bytes': { type: 'string' },
      backups: { type: 'string' },
      'otlp-endpoint': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      print(USAGE);
      return 0;
    }
    const logFile = values['log-file'] ?? daemonLogFile();
    // Checked before anything starts: a bad value is a usage error, exit 2.
    const maxBytes = integerFlag('max-bytes', values['max-bytes'], 1);
    const backups = integerFlag('backups', values.backups, 0);
    const otlpEndpoint = values['otlp-endpoint'] ?? (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined);
    // Loaded here, not at the top: report and login never pay for the server's dependencies.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startDaemon } = require('../daemon/server') as DaemonServer;
    let handle: DaemonHandle;
    try {
      handle = await startDaemon({
        socketPath: values.socket ?? daemonSocket(),
        logFile,
        maxBytes,
        backups,
        otlpEndpoint,
      });
    } catch (error) {
      // A socket path another user owns or could steer: the caller must choose another, exit 2.
      if ((error as { code?: unknown }).code !== 'EUNTRUSTEDSOCKET') throw error;
      printError(`mima-guard daemon: ${(error as Error).message}`);
      return 2;
    }
    const exporting = otlpEndpoint ? `, exporting to ${otlpEndpoint}` : '';
    // The signal handlers first: a SIGINT sent as soon as the line is read must meet them, not the
    // default action (a CI run saw the daemon die by SIGINT instead of draining and exiting 0).
    const stopped = untilStopped(handle);
    print(`mima-guard daemon listening on ${handle.socketPath}, writing ${logFile}${exporting}`);
    return stopped;
  },
};

/** A whole-number flag of at least `min`, or undefined when not given (the writer's default). */
function integerFlag(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text)) && Number(text) >= min) return Number(text);
  throw new UsageError(
    `mima-guard daemon: --${flag} must be a whole number >= ${min}; got ${JSON.stringify(text)}; see "mima-guard daemon --help"`,
  );
}

/** Resolves with the exit status once a signal's drain ends; a second signal stops without draining. */
function untilStopped(handle: DaemonHandle): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        printError(`mima-guard daemon: second ${signal}, exiting without draining`);
        process.exit(1);
      }
      stopping = true;
      handle.close().then(
        () => resolve(0),
        (error: unknown) => {
          printError(`mima-guard daemon: closing failed: ${error instanceof Error ? error.message : error}`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
