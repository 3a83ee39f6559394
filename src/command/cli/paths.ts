import * as path from 'node:path';
import { mimaHome } from '../../app/config';

/** The guard's JSONL report, as the guard resolves it: MIMA_GUARD_LOG_FILE, then ~/.mima/guard_log.jsonl. */
export function guardLogFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MIMA_GUARD_LOG_FILE || path.join(mimaHome(), 'guard_log.jsonl'));
}

/** The daemon's own JSONL log: MIMA_DAEMON_LOG_FILE, then ~/.mima/daemon_log.jsonl. */
export function daemonLogFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MIMA_DAEMON_LOG_FILE || path.join(mimaHome(), 'daemon_log.jsonl'));
}

/** The daemon socket, as the guard resolves it: MIMA_DAEMON_SOCKET, then ~/.mima/daemon.sock. */
export function daemonSocket(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MIMA_DAEMON_SOCKET || path.join(mimaHome(), 'daemon.sock'));
}

export function configFile(): string {
  return path.join(mimaHome(), 'config.json');
}
