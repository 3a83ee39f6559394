import * as fs from 'node:fs';
import { warnGuardProblem } from '../warnings';
import { tryLock } from './file-lock';

export type RotationOutcome = 'reopen' | 'keep' | 'busy';

/**
 * Rotates `file` → `file.1` → … → `file.<backups>` (the oldest beyond is removed), under
 * `file.lock`, if the file at the path is still the one the caller writes to (`ino`) and still
 * too full for `incoming` bytes. 'reopen': the path holds a new file (rotated by us or by another
 * process); 'keep': write to the descriptor you have; 'busy': another writer holds the lock, ask
 * again shortly (writing through the old descriptor meanwhile would not lose the line: it lands in
 * `file.1`, just past maxBytes).
 */
export function rotateIfFull(
  file: string,
  ino: number,
  incoming: number,
  maxBytes: number,
  backups: number,
): RotationOutcome {
  const unlock = tryLock(`${file}.lock`);
  if (!unlock) return 'busy';
  try {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch {
      return 'reopen';
    }
    // Another process rotated between our size check and the lock.
    if (stat.ino !== ino) return 'reopen';
    if (stat.size === 0 || stat.size + incoming <= maxBytes) return 'keep';
    shiftBackups(file, backups);
    return 'reopen';
  } finally {
    unlock();
  }
}

/**
 * Shifts only up to the first free slot: slots past a gap hold older files and stay where they are.
 * With no gap the oldest (`file.<backups>`) is removed. A slot that is a directory ends the chain
 * (rename cannot replace it, and it is never removed: it may hold someone's files): fewer backups
 * are kept, said once; with none left (`file.1` a directory) the rotation throws and the caller
 * writes past maxBytes. Other non-regular slots (a symlink, a FIFO) are replaced by the rename,
 * which never follows them. Existing files only: no failing renames, so the lock is held for a few
 * syscalls.
 */
function shiftBackups(file: string, backups: number): void {
  if (backups === 0) {
    fs.unlinkSync(file);
    return;
  }
  let free = 1;
  let blocked: number | undefined;
  for (; free <= backups; free++) {
    const kind = slotKind(`${file}.${free}`);
    if (kind === 'missing') break;
    if (kind === 'directory') {
      blocked = free;
      break;
    }
  }
  if (blocked !== undefined) {
    if (blocked === 1) throw new Error(`${file}.1 is a directory, so no backup can be made`);
    warnGuardProblem(
      'MIMA_GUARD_ROTATION_SLOT',
      `${file}.${blocked} is a directory, not a rotated log; the guard keeps ${blocked - 1} backups of ${file} instead of ${backups}`,
    );
  }
  // Every usable slot is taken: the oldest usable one goes.
  if (blocked !== undefined || free > backups) {
    free = (blocked ?? backups + 1) - 1;
    fs.rmSync(`${file}.${free}`, { force: true });
  }
  for (let i = free - 1; i >= 1; i--) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  fs.renameSync(file, `${file}.1`);
}

function slotKind(slot: string): 'missing' | 'directory' | 'other' {
  try {
    return fs.lstatSync(slot).isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}
