import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { captureCallLocation, locationFromStack } from '../src/app/call-location';
import { ROOT } from './helpers/guard';

const app = path.join(ROOT, 'app', 'server.js');

describe('call location', () => {
  it('skips node_modules, node internals and the guard, source-mapped or compiled', () => {
    const stack = [
      'Error',
      `    at captureCallLocation (${path.join(ROOT, 'src', 'app', 'call-location.ts')}:21:17)`,
      `    at onUnattestedCall (${path.join(ROOT, 'build', 'src', 'app', 'guard.js')}:80:3)`,
      '    at OpenAI.methodRequest (/srv/node_modules/openai/client.js:587:10)',
      '    at Module._compile (node:internal/modules/cjs/loader:1521:14)',
      `    at handler (${app}:42:7)`,
    ].join('\n');
    assert.deepEqual(locationFromStack(stack), { file: path.join('app', 'server.js'), line: 42 });
  });

  it('reads ES module file URLs and anonymous frames', () => {
    const stack = ['Error', `    at file://${app}:9:1`].join('\n');
    assert.deepEqual(locationFromStack(stack), { file: path.join('app', 'server.js'), line: 9 });
  });

  it('reports no location, rather than a made-up path, when no user frame is on the stack', () => {
    const stack = [
      'Error',
      '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at Module._compile (node:internal/modules/cjs/loader:1521:14)',
      '    at /srv/node_modules/openai/client.js:1:1',
    ].join('\n');
    assert.equal(locationFromStack(stack), undefined);
  });

  it('gives the compiled line, or with --enable-source-maps the TypeScript line', () => {
    const fixture = path.join(ROOT, 'build', 'test', 'fixtures', 'where.js');
    const run = (...flags: string[]) =>
      JSON.parse(execFileSync(process.execPath, [...flags, fixture], { cwd: ROOT, encoding: 'utf8' }));
    assert.deepEqual(run(), { file: path.join('build', 'test', 'fixtures', 'where.js'), line: 5 });
    assert.deepEqual(run('--enable-source-maps'), {
      file: path.join('test', 'fixtures', 'where.ts'),
      line: 4,
    });
  });

  it('falls back to the structured frames when an installed stack formatter returns no string', () => {
    const previous = Error.prepareStackTrace;
    Error.prepareStackTrace = function customFormatter() {
      return { not: 'a string' };
    };
    try {
      const location = captureCallLocation();
      assert.match(location?.file ?? '', /call-location\.test\.js$/);
    } finally {
      Error.prepareStackTrace = previous;
    }
  });
});
