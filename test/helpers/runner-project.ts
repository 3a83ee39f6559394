import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ROOT } from './guard';

const PACKAGE_NAME = '@mima-governance/instrumentation-guard';

/**
 * Installs the built guard into `<project>/node_modules` the way npm would (package.json and the
 * published `files`: build/src/**\/*.js and build/esm/*.mjs), so that a fixture project with a
 * package.json of its own resolves it by name, as an app does, rather than through the repo's
 * self-reference. Test runners resolve and load it from there (Vitest externalizes it as a
 * dependency, Jest resolves it in its own registry). Everything else (openai, the runners, the
 * guard's dependencies) resolves from the repo's node_modules further up.
 */
export function installGuard(project: string): string {
  const target = path.join(project, 'node_modules', ...PACKAGE_NAME.split('/'));
  fs.rmSync(target, { recursive: true, force: true });
  const copy = (from: string, to: string, keep: (name: string) => boolean) => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const source = path.join(from, entry.name);
      if (entry.isDirectory()) copy(source, path.join(to, entry.name), keep);
      else if (keep(entry.name)) {
        fs.mkdirSync(to, { recursive: true });
        fs.copyFileSync(source, path.join(to, entry.name));
      }
    }
  };
  copy(path.join(ROOT, 'build', 'src'), path.join(target, 'build', 'src'), (name) => name.endsWith('.js'));
  copy(path.join(ROOT, 'build', 'esm'), path.join(target, 'build', 'esm'), (name) => name.endsWith('.mjs'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(target, 'package.json'));
  return target;
}

export interface MockOpenAI {
  /** Base URL for the openai client (`OPENAI_BASE_URL`). */
  url: string;
  /** Requests that reached the server: a blocked call must not add one. */
  requests: number;
  close(): Promise<void>;
}

/**
 * A local OpenAI endpoint answering every POST with the chat completion fixture. A real server,
 * not nock: the calls come from the runners' child processes (and their workers).
 */
export async function startMockOpenAI(): Promise<MockOpenAI> {
  const body = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'chat-completion.json'));
  const server = http.createServer((request, response) => {
    mock.requests++;
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const mock: MockOpenAI = {
    url: `http://127.0.0.1:${port}/v1`,
    requests: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return mock;
}

/**
 * For the tests of a describe block that run a runner over `projects`: the built guard installed
 * there and a mock OpenAI endpoint, started before them and closed after them. The object stands
 * for the server once it runs.
 */
export function guardInstalledWithMockOpenAI(projects: string): MockOpenAI {
  let server: MockOpenAI | undefined;
  before(async () => {
    installGuard(projects);
    server = await startMockOpenAI();
  });
  after(async () => {
    await server?.close();
  });
  const live = () => {
    if (!server) throw new Error('the mock OpenAI endpoint starts in the before() hook');
    return server;
  };
  return {
    get url() {
      return live().url;
    },
    get requests() {
      return live().requests;
    },
    close: () => live().close(),
  };
}

/** The 1-based line of the first line of `file` that contains `marker`. */
export function lineOf(file: string, marker: string): number {
  const index = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(marker));
  if (index < 0) throw new Error(`${marker} not found in ${file}`);
  return index + 1;
}
