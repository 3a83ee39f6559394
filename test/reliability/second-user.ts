import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A throwaway local account playing the other user of a shared machine. Needs root (useradd,
 * runuser); `available()` says why not when it cannot run, for the caller to skip with that reason.
 */
export class SecondUser {
  readonly name = `mima-other-${process.pid}`;
  uid = -1;
  gid = -1;
  private readonly children = new Set<ChildProcess>();
  private readonly dirs: string[] = [];

  static unavailable(): string | undefined {
    if (process.geteuid?.() !== 0) return 'needs root to create a second local user (useradd, runuser)';
    for (const tool of ['useradd', 'userdel', 'runuser', 'setpriv']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
    }
    return undefined;
  }

  create(): void {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', this.name]);
    this.uid = Number(execFileSync('id', ['-u', this.name], { encoding: 'utf8' }).trim());
    this.gid = Number(execFileSync('id', ['-g', this.name], { encoding: 'utf8' }).trim());
  }

  /** Stops what it started as this user, removes the shared directories, then the account. */
  remove(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    for (const dir of this.dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    if (this.uid >= 0) spawnSync('userdel', [this.name]);
    this.uid = -1;
  }

  /** A directory both users can create names in, like /tmp: root's, mode 1777. */
  sharedDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-shared-'));
    fs.chmodSync(dir, 0o1777);
    this.dirs.push(dir);
    return dir;
  }

  /** Runs `script` with node as this user, to completion; throws on a non-zero exit. */
  run(script: string): string {
    return execFileSync('runuser', ['-u', this.name, '--', process.execPath, '-e', script], {
      encoding: 'utf8',
      cwd: '/',
    });
  }

  /** Whether this user can read `file` (runs `cat` as them). */
  canRead(file: string): boolean {
    return (
      spawnSync('runuser', ['-u', this.name, '--', 'cat', file], { stdio: 'ignore', cwd: '/' }).status === 0
    );
  }

  /**
   * Listens on `socketPath` as this user, answering every batch with an ack as a daemon would, and
   * counting the records it receives. Resolves once it listens.
   */
  async listen(socketPath: string): Promise<{ received(): number }> {
    const script = `
      const net = require('node:net');
      const fs = require('node:fs');
      let received = 0;
      const server = net.createServer((socket) => {
        let buffered = '';
        socket.on('data', (chunk) => {
          buffered += chunk;
          let end;
          while ((end = buffered.indexOf('\\n')) >= 0) {
            const message = JSON.parse(buffered.slice(0, end));
            buffered = buffered.slice(end + 1);
            received += message.records.length;
            process.stdout.write('received ' + received + '\\n');
            socket.write(JSON.stringify({ v: 1, type: 'ack', seq: message.seq }) + '\\n');
          }
        });
      });
      server.listen(${JSON.stringify(socketPath)}, () => {
        fs.chmodSync(${JSON.stringify(socketPath)}, 0o777);
        process.stdout.write('listening\\n');
      });`;
    // setpriv execs node itself (runuser forks): the pid killed at the end is the listener's.
    const as = [`--reuid=${this.uid}`, `--regid=${this.gid}`, '--clear-groups'];
    const child = spawn('setpriv', [...as, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: '/',
    });
    this.children.add(child);
    let received = 0;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the second user's listener exited (${code})`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const counts = [...output.matchAll(/received (\d+)/g)];
        if (counts.length) received = Number(counts[counts.length - 1][1]);
        if (output.includes('listening')) resolve();
      });
    });
    return { received: () => received };
  }
}
