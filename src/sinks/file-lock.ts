import * as fs from 'node:fs';

/** A lock older than this is a leftover: rotation holds it for a few renames, microseconds. */
const STALE_LOCK_MS = 10_000;

/**
 * Takes the lock file with O_CREAT|O_EXCL ('wx'), which never follows a symlink. Returns the
 * release function, or undefined when a live holder has it. A lock whose PID is dead, or that is
 * older than STALE_LOCK_MS, is removed and taken.
 */
export function tryLock(lockPath: string): (() => void) | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      let ino: number;
      try {
        fs.writeSync(fd, `${process.pid}\n`);
        ino = fs.fstatSync(fd).ino;
      } finally {
        fs.closeSync(fd);
      }
      return () => release(lockPath, ino);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!isStale(lockPath)) return undefined;
      fs.rmSync(lockPath, { force: true });
    }
  }
  return undefined;
}

/** Removes the lock only if it is still ours (a holder judged stale may have been replaced). */
function release(lockPath: string, ino: number): void {
  try {
    if (fs.lstatSync(lockPath).ino === ino) fs.unlinkSync(lockPath);
  } catch {
    // Already gone.
  }
}

function isStale(lockPath: string): boolean {
  try {
    const stat = fs.lstatSync(lockPath);
    if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
  } catch {
    // Vanished between open and stat: the holder released it; try again.
    return true;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
