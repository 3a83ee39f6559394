import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/guard';
import { rotatedLogLines } from '../helpers/log-lines';
import { tempDir as makeTempDir } from '../helpers/temp-dir';

const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const CLIENT = path.join(ROOT, 'build', 'test', 'fixtures', 'daemon-client', 'stream-client.js');
const COUNT = 10_000;
/** The client says when it has handed over this many; the daemon is killed then. */
const KILL_AT = 3_000;
/** The client sends this record and later ones only after it has seen the daemon go. */
const HOLD_AT = 8_000;

/** Resolves with the first stdout line matching pattern; rejects if the process exits first or past a deadline. */
function untilLine(child: ChildProcessWithoutNullStreams, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) done(undefined, line);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`${what}: the process exited (${code ?? signal}) first: ${output}`));
    const done = (error?: Error, line?: string) => {
      clearTimeout(timer);
      child.stdout.removeListener('data', onData);
      child.removeListener('exit', onExit);
      if (error) reject(error);
      else resolve(line as string);
    };
    child.stdout.on('data', onData);
    child.on('exit', onExit);
  });
}

function exited(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Ids in a JSONL file and its rotations, and lines that do not parse. */
function readIds(file: string): { ids: Map<string, number>; torn: number } {
  const ids = new Map<string, number>();
  let torn = 0;
  for (const line of rotatedLogLines(file)) {
    try {
      const id = (JSON.parse(line) as { id?: string }).id;
      if (id !== undefined) ids.set(id, (ids.get(id) ?? 0) + 1);
    } catch {
      torn++;
    }
  }
  return { ids, torn };
}

describe('Daemon killed with SIGKILL while a client streams records to it', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  after(() => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('loses no record: every one is in the daemon log or the client fallback file', async function () {
    this.timeout(60_000);
    const dir = makeTempDir('mima-dk-');
    const socket = path.join(dir, 'd.sock');
    const daemonLog = path.join(dir, 'daemon.jsonl');
    const fallbackFile = path.join(dir, 'fallback.jsonl');

    const daemon = spawn(process.execPath, [CLI, 'daemon', '--socket', socket, '--log-file', daemonLog]);
    children.push(daemon);
    await untilLine(daemon, /listening/, 'the daemon listening');

    const client = spawn(process.execPath, [
      CLIENT,
      socket,
      fallbackFile,
      String(COUNT),
      String(KILL_AT),
      String(HOLD_AT),
    ]);
    children.push(client);
    let clientErrors = '';
    client.stderr.on('data', (chunk: Buffer) => (clientErrors += chunk.toString()));
    const clientExit = exited(client);
    await untilLine(client, new RegExp(`^sent ${KILL_AT}$`), `the client having sent ${KILL_AT}`);
    // Some batches are acked by now, or will be within the deadline; the stream goes on meanwhile.
    const deadline = Date.now() + 10_000;
    while (!(fs.existsSync(daemonLog) && fs.statSync(daemonLog).size > 0)) {
      assert.ok(Date.now() < deadline, 'the daemon logged something before the kill');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    daemon.kill('SIGKILL');
    assert.deepEqual(await exited(daemon), { code: null, signal: 'SIGKILL' });

    const { code } = await clientExit;
    assert.equal(code, 0, `the client exited cleanly: ${clientErrors}`);

    const logged = readIds(daemonLog);
    const fellBack = readIds(fallbackFile);
    const sent = Array.from({ length: COUNT }, (_, i) => `rec-${i}`);
    const lost = sent.filter((id) => !logged.ids.has(id) && !fellBack.ids.has(id));
    const duplicated = sent.filter((id) => (logged.ids.get(id) ?? 0) + (fellBack.ids.get(id) ?? 0) > 1);
    console.log(
      `      sent ${COUNT}, in daemon log ${logged.ids.size}, in fallback ${fellBack.ids.size}, ` +
        `duplicated ${duplicated.length}, lost ${lost.length}`,
    );
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} records lost`);
    assert.equal(logged.torn + fellBack.torn, 0, 'every line in both files parses');
    assert.ok(logged.ids.size > 0, 'the daemon had logged records before it was killed');
    assert.ok(fellBack.ids.size > 0, 'records after the kill went to the fallback');
    const unknown = [...logged.ids.keys(), ...fellBack.ids.keys()].filter((id) => !/^rec-\d+$/.test(id));
    assert.deepEqual(unknown, [], 'nothing but the records sent');
  });
});
