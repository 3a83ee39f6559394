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
      let mine: fs.Stats;
      try {
        fs.writeSync(fd, `${process.pid}\n`);
        mine = fs.fstatSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return () => removeIfSame(lockPath, mine.ino, mine.mtimeMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = staleHolder(lockPath);
      if (holder === 'live') return undefined;
      // 'gone': the holder released it just now; try again. Never remove a lock we have not judged:
      // another writer may have taken it since, and two rotations at once delete a backup.
      if (holder !== 'gone') removeIfSame(lockPath, holder.ino, holder.mtimeMs);
    }
  }
  return undefined;
}

/**
 * Removes the lock only if the path still holds the same file (inode and, as inodes are reused at
 * once, the modification time too).
 */
function removeIfSame(lockPath: string, ino: number, mtimeMs: number): void {
  try {
    const stat = fs.lstatSync(lockPath);
    if (stat.ino === ino && stat.mtimeMs === mtimeMs) fs.unlinkSync(lockPath);
  } catch {
    // Already gone.
  }
}

/** 'live', 'gone' (vanished while we looked), or the stats of a lock left by a dead or stuck holder. */
function staleHolder(lockPath: string): 'live' | 'gone' | fs.Stats {
  try {
    const stat = fs.lstatSync(lockPath);
    if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return stat;
    const pid = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && !isAlive(pid) ? stat : 'live';
  } catch {
    return 'gone';
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
