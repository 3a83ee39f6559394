import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The rules every path the guard writes to or connects through must pass (SECURITY.md, "Paths
 * another user could steer"): a directory, a log or a socket belongs to the user the process runs
 * as (or root) and neither group nor others can write it. A directory given as a symlink is judged
 * twice: the link itself must be the user's (or root's), since whoever owns a link decides where it
 * points, and then the directory it points to. Each function returns why the path is refused, or
 * undefined when it passes; errors of lstat (ENOENT) reach the caller.
 */

/** Why `dir` is not a directory `uid` can trust, or undefined. */
export function untrustedDirectory(dir: string, uid: number): string | undefined {
  const link = fs.lstatSync(dir);
  if (link.isSymbolicLink() && !ownedBy(link, uid)) {
    return `its directory ${dir} is a symlink owned by ${describeOwner(link.uid)}`;
  }
  const stat = link.isSymbolicLink() ? fs.statSync(dir) : link;
  const what = link.isSymbolicLink()
    ? `its directory ${dir} (a symlink to ${fs.realpathSync(dir)})`
    : `its directory ${dir}`;
  if (!stat.isDirectory()) return `${what} is not a directory`;
  if (!ownedBy(stat, uid)) return `${what} is owned by ${describeOwner(stat.uid)}`;
  if (stat.mode & 0o022) {
    const who = stat.mode & 0o002 ? 'others' : 'its group';
    return `${what} is writable by ${who} (mode ${modeText(stat.mode)})`;
  }
  return undefined;
}

/** Why the socket file (its lstat given) is not one `uid` can trust, or undefined. */
export function untrustedSocketFile(socketPath: string, stat: fs.Stats, uid: number): string | undefined {
  if (stat.isSymbolicLink()) return `${socketPath} is a symlink`;
  if (!stat.isSocket()) return `${socketPath} is not a socket`;
  if (!ownedBy(stat, uid)) return `${socketPath} is owned by ${describeOwner(stat.uid)}`;
  if (stat.mode & 0o022) return `${socketPath} is writable by group or others (mode ${modeText(stat.mode)})`;
  return undefined;
}

/**
 * Why the daemon socket at `socketPath` (its lstat given) is not one to send records to, or
 * undefined: the socket file, then its directory (no POSIX ids, as on Windows: not checked).
 */
export function untrustedSocket(socketPath: string, stat: fs.Stats): string | undefined {
  const uid = process.geteuid?.();
  if (uid === undefined) return undefined;
  try {
    return untrustedSocketFile(socketPath, stat, uid) ?? untrustedDirectory(path.dirname(socketPath), uid);
  } catch (error) {
    return `${path.dirname(socketPath)} cannot be checked (${(error as Error).message})`;
  }
}

export function ownedBy(stat: fs.Stats, uid: number): boolean {
  return stat.uid === uid || stat.uid === 0;
}

export function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** `uid 1001 (alice)`: the name from /etc/passwd when there is one, for a person to act on. */
export function describeOwner(uid: number): string {
  let name: string | undefined;
  try {
    const entry = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((line) => line.split(':')[2] === String(uid));
    name = entry?.split(':')[0];
  } catch {
    // No passwd file (containers, Windows): the number alone.
  }
  return name ? `uid ${uid} (${name})` : `uid ${uid}`;
}
