import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { tryLock } from '../../app/sinks/file-lock';
import { describeOwner, ownedBy, untrustedDirectory } from '../../app/sinks/path-trust';

/** The socket path is one guards would refuse to connect to: the CLI exits 2 with the message. */
export class UntrustedSocketPathError extends Error {
  readonly code = 'EUNTRUSTEDSOCKET';
}

const LOCK_ATTEMPTS = 100;
const LOCK_WAIT_MS = 20;

/**
 * Makes the server listen on socketPath, 0600 in a 0700 directory. A socket file nobody answers on
 * is a dead daemon's and is replaced; a live one means another daemon: refused with an Error naming
 * the path. A lock file beside the socket makes two daemons starting at once take turns, so neither
 * unlinks the other's fresh socket. Resolves to the socket file's inode (to remove only our own).
 */
export async function listenExclusively(server: net.Server, socketPath: string): Promise<number> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  refuseUntrusted(socketPath);
  const release = await lock(`${socketPath}.lock`);
  try {
    await removeStaleSocket(socketPath);
    await listen(server, socketPath);
    // Where umask could not be set (worker threads), this closes the window; elsewhere it is a no-op.
    fs.chmodSync(socketPath, 0o600);
    return fs.lstatSync(socketPath).ino;
  } finally {
    release();
  }
}

/**
 * The daemon serves only from a place its clients will trust (path-trust.ts): another user's
 * socket at the path, live or not, is theirs, never "a daemon already running"; a directory another
 * user owns or can write is refused before anything is created in it.
 */
function refuseUntrusted(socketPath: string): void {
  const uid = process.geteuid?.();
  if (uid === undefined) return;
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(socketPath);
  } catch {
    // Nothing there yet.
  }
  if (existing && !ownedBy(existing, uid)) {
    throw new UntrustedSocketPathError(
      `${socketPath} belongs to ${describeOwner(existing.uid)}, another user: not serving there (clients would refuse it, and it is not ours to replace); choose a socket in a directory only you can write, such as ~/.mima`,
    );
  }
  const problem = untrustedDirectory(path.dirname(socketPath), uid);
  if (problem) {
    throw new UntrustedSocketPathError(
      `not serving on ${socketPath}: ${problem}; the socket's directory must be owned by you (or root) and not writable by group or others`,
    );
  }
}

async function lock(lockPath: string): Promise<() => void> {
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    const release = tryLock(lockPath);
    if (release) return release;
    await new Promise((resolve) => setTimeout(resolve, LOCK_WAIT_MS));
  }
  throw new Error(`another mima-guard daemon is starting on ${lockPath.slice(0, -'.lock'.length)}`);
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stat.isSocket()) throw new Error(`${socketPath} exists and is not a socket; not replacing it`);
  if (await answers(socketPath)) {
    throw new Error(`a mima-guard daemon is already listening on ${socketPath}`);
  }
  fs.rmSync(socketPath, { force: true });
}

/** True when a process accepts connections on the socket; ECONNREFUSED means nobody does. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else reject(error);
    });
  });
}

function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A pipe is bound synchronously inside listen(), so the umask covers exactly its creation.
    const previous = isMainThread ? process.umask(0o177) : undefined;
    try {
      server.listen(socketPath, () => {
        server.removeListener('error', reject);
        resolve();
      });
    } finally {
      if (previous !== undefined) process.umask(previous);
    }
  });
}
