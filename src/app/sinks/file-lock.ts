import * as fs from 'node:fs';
import { warnGuardProblem } from '../warnings';

/** A lock older than this is a leftover: rotation holds it for a few renames, microseconds. */
const STALE_LOCK_MS = 10_000;
/**
 * A lock file this process has found held, the same file all along, for longer than this is
 * broken even if its holder is alive and keeps it fresh: a holder stuck mid-rotation would stop
 * every rotation of the log for good.
 */
const HELD_BOUND_MS = 2_000;

/** Per lock path: the lock file found held, and since when (this process's observation). */
const heldSince = new Map<string, { ino: number; dev: number; since: number }>();

/**
 * Takes the lock file with O_CREAT|O_EXCL ('wx'), which never follows a symlink. Returns the
 * release function, or undefined when a live holder has it. A lock whose PID is dead, that is
 * older than STALE_LOCK_MS, or that this process has seen held past HELD_BOUND_MS, is removed and
 * taken. A lock path that is not a regular file (a directory, a symlink) is removed if it can be
 * without recursing; if it cannot, the caller goes on without a lock, said once.
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
      heldSince.delete(lockPath);
      return () => removeIfSame(lockPath, mine.ino, mine.mtimeMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = judgeHolder(lockPath);
      if (holder === 'live') return undefined;
      if (holder === 'unremovable') return goOnUnlocked;
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

/**
 * 'live', 'gone' (vanished while we looked, or a non-file removed: try again), 'unremovable' (a
 * non-empty directory: go on unlocked), or the stats of a lock left by a dead, stale or stuck holder.
 */
function judgeHolder(lockPath: string): 'live' | 'gone' | 'unremovable' | fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(lockPath);
  } catch {
    return 'gone';
  }
  if (!stat.isFile()) return removeNonFile(lockPath, stat);
  if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return stat;
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
  } catch {
    return 'gone';
  }
  if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) return stat;
  if (!heldPastBound(lockPath, stat)) return 'live';
  warnGuardProblem(
    'MIMA_GUARD_STUCK_LOCK',
    `${lockPath} has been held by process ${pid} for over ${HELD_BOUND_MS} ms (a rotation takes microseconds); the guard breaks it`,
  );
  heldSince.delete(lockPath);
  return stat;
}

function heldPastBound(lockPath: string, stat: fs.Stats): boolean {
  const seen = heldSince.get(lockPath);
  if (!seen || seen.ino !== stat.ino || seen.dev !== stat.dev) {
    heldSince.set(lockPath, { ino: stat.ino, dev: stat.dev, since: Date.now() });
    return false;
  }
  return Date.now() - seen.since > HELD_BOUND_MS;
}

/** rmdir (an empty directory only) or unlink (a symlink itself, a FIFO): never recursive. */
function removeNonFile(lockPath: string, stat: fs.Stats): 'gone' | 'unremovable' {
  const kind = stat.isDirectory()
    ? 'a directory'
    : stat.isSymbolicLink()
      ? 'a symlink'
      : 'not a regular file';
  try {
    if (stat.isDirectory()) fs.rmdirSync(lockPath);
    else fs.unlinkSync(lockPath);
    warnGuardProblem(
      'MIMA_GUARD_STUCK_LOCK',
      `${lockPath} was ${kind}, not a lock file; the guard removed it`,
    );
    return 'gone';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    warnGuardProblem(
      'MIMA_GUARD_STUCK_LOCK',
      `${lockPath} is ${kind}, not a lock file, and cannot be removed (${(error as Error).message}); the guard goes on without the lock (writers sharing the log may each rotate it at once)`,
    );
    return 'unremovable';
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

/** The release of a lock that could not be taken nor removed (a non-empty directory at its path). */
function goOnUnlocked(): void {
  // Nothing was taken: nothing to release.
}
