import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { chatCompletion } from './openai';

export interface ChildRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <args>` with `env` added (no diag logger: what the user sees is stderr); with
 * `sigtermWhenCalled` the child gets SIGTERM once it prints its `called` line.
 */
export function runChild(
  args: string[],
  env: Record<string, string>,
  sigtermWhenCalled = false,
  { cwd, killAfterMs = 30_000 }: { cwd?: string; killAfterMs?: number } = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (sigtermWhenCalled && stdout.includes('called ')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A local chat-completions server for child processes: its base URL (…/v1) and a close(). */
export async function startChatServer(): Promise<{ url: string; authority: string; close(): Promise<void> }> {
  const body = JSON.stringify(chatCompletion());
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const authority = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url: `http://${authority}/v1`,
    authority,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A local port nothing listens on (a collector that is down). */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/v1/traces`;
}

/** The `MimaGuardWarning` lines Node printed on stderr with the given code. */
export function guardWarnings(stderr: string, code: string): string[] {
  return stderr.split('\n').filter((line) => line.includes(`[${code}] MimaGuardWarning:`));
}
