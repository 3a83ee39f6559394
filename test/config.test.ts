import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, configFromArgument } from '../src/app/config';
import { enableGuard, MimaGuardInstrumentation } from '../src';
import { DEFAULT_NETWORK_HOSTS, HOST_ENTRY_FORMAT } from '../src/app/network/hosts';
import { tempDir as makeTempDir } from './helpers/temp-dir';

describe('configuration', () => {
  it('takes the constructor config first, then the environment, then defaults', () => {
    const env = {
      MIMA_GUARD_MODE: 'report',
      MIMA_GUARD_LOG_FILE: '/tmp/env.jsonl',
      MIMA_WORKSPACE_ID: 'ws-env',
    };
    assert.equal(resolveConfig({ mode: 'block' }, env).mode, 'block');
    assert.equal(resolveConfig({}, env).mode, 'report');
    assert.equal(resolveConfig({}, {}).mode, 'warn');
    assert.equal(resolveConfig({}, env).logFile, '/tmp/env.jsonl');
    assert.equal(resolveConfig({ logFile: '/tmp/own.jsonl' }, env).logFile, '/tmp/own.jsonl');
    assert.equal(resolveConfig({}, env).workspaceId, 'ws-env');
    assert.equal(resolveConfig({ workspaceId: 'ws-own' }, env).workspaceId, 'ws-own');
    assert.equal(resolveConfig({}, { MIMA_DAEMON_SOCKET: '/tmp/d.sock' }).socketPath, '/tmp/d.sock');
    const defaults = resolveConfig({}, {});
    assert.equal(defaults.logFile, path.join(os.homedir(), '.mima', 'guard_log.jsonl'));
    assert.equal(defaults.socketPath, path.join(os.homedir(), '.mima', 'daemon.sock'));
    assert.equal(defaults.maxBytes, 10 * 1024 * 1024);
    assert.equal(defaults.backups, 3);
    assert.equal(defaults.captureCallSite, true);
  });

  it('reads the workspace id from ~/.mima/config.json when nothing else sets it', () => {
    const home = makeTempDir('mima-home-');
    fs.mkdirSync(path.join(home, '.mima'));
    fs.writeFileSync(path.join(home, '.mima', 'config.json'), JSON.stringify({ workspace_id: 'ws-file' }));
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      assert.equal(resolveConfig({}, {}).workspaceId, 'ws-file');
    } finally {
      process.env.HOME = saved;
    }
  });

  it('rejects a bad mode naming it and the accepted modes', () => {
    assert.throws(() => resolveConfig({ mode: 'blok' as never }, {}), {
      name: 'TypeError',
      message: 'Invalid Mima guard mode "blok"; accepted: "warn", "block", "report"',
    });
    assert.throws(() => resolveConfig({}, { MIMA_GUARD_MODE: 'loud' }), /MIMA_GUARD_MODE "loud"; accepted/);
    assert.throws(() => configFromArgument('blok' as never), /Invalid Mima guard mode "blok"/);
    assert.throws(() => enableGuard('blok' as never), TypeError);
  });

  it('rejects a non-string log path, an unknown key and other bad values at construction', () => {
    assert.throws(() => new MimaGuardInstrumentation({ logFile: 42 as never }), {
      name: 'TypeError',
      message: /logFile must be a non-empty file path string; got number 42/,
    });
    assert.throws(() => new MimaGuardInstrumentation({ mdoe: 'warn' } as never), {
      name: 'TypeError',
      message: /Unknown Mima guard config key "mdoe"; accepted keys: enabled, mode, logFile/,
    });
    assert.throws(
      () => resolveConfig({ maxBytes: -1 }, {}),
      /maxBytes must be an integer >= 1; got number -1/,
    );
    assert.throws(() => resolveConfig({ captureCallSite: 'yes' as never }, {}), /must be true or false/);
    assert.throws(() => resolveConfig({ workspaceId: 5 as never }, {}), /workspaceId must be a string/);
    assert.throws(() => resolveConfig({ modules: [] as never }, {}), /modules must be an object/);
    assert.throws(() => resolveConfig(null as never, {}), /config must be an object/);
  });

  it('adds networkHosts (or MIMA_GUARD_NETWORK_HOSTS) to the default AI API hosts; networkBackstop is on by default', () => {
    const defaults = resolveConfig({}, {});
    assert.equal(defaults.networkBackstop, true);
    assert.deepEqual(
      defaults.networkHosts,
      DEFAULT_NETWORK_HOSTS.map(([entry]) => entry),
    );
    for (const host of ['api.openai.com', 'api.anthropic.com', 'generativelanguage.googleapis.com']) {
      assert.ok(defaults.networkHosts.includes(host), host);
    }
    assert.ok(defaults.networkHosts.includes('bedrock-runtime.*.amazonaws.com'));
    const env = { MIMA_GUARD_NETWORK_HOSTS: ' llm.internal:8080, ,*.gateway.example.com ' };
    assert.deepEqual(resolveConfig({}, env).networkHosts.slice(DEFAULT_NETWORK_HOSTS.length), [
      'llm.internal:8080',
      '*.gateway.example.com',
    ]);
    const own = resolveConfig({ networkHosts: ['LLM.Example.com', 'api.openai.com'] }, env);
    assert.deepEqual(own.networkHosts.slice(DEFAULT_NETWORK_HOSTS.length), ['llm.example.com']);
    assert.equal(resolveConfig({ networkBackstop: false }, {}).networkBackstop, false);
  });

  it('rejects a bad network host naming it and the accepted forms', () => {
    for (const bad of [
      'https://api.example.com',
      'api.example.com/v1',
      'host:99999',
      '*.com',
      'a.*.*.com',
      '',
    ]) {
      assert.throws(
        () => resolveConfig({ networkHosts: [bad] }, {}),
        {
          name: 'TypeError',
          message: `Invalid Mima guard networkHosts entry ${JSON.stringify(bad)}; accepted: ${HOST_ENTRY_FORMAT}`,
        },
        bad,
      );
    }
    assert.throws(
      () => resolveConfig({}, { MIMA_GUARD_NETWORK_HOSTS: 'ok.example.com,http://x' }),
      /Invalid Mima guard MIMA_GUARD_NETWORK_HOSTS entry "http:\/\/x"; accepted: a host name or IP address/,
    );
    assert.throws(
      () => resolveConfig({ networkHosts: [42] as never }, {}),
      /Invalid Mima guard networkHosts entry number 42; accepted/,
    );
    assert.throws(
      () => resolveConfig({ networkHosts: 'api.example.com' as never }, {}),
      /networkHosts must be an array of host strings, e.g. \['llm.example.com', '10.0.0.5:8080'\]; got "api.example.com"/,
    );
    assert.throws(
      () => new MimaGuardInstrumentation({ networkBackstop: 'off' as never }),
      /networkBackstop must be true or false; got "off"/,
    );
    assert.throws(
      () => new MimaGuardInstrumentation({ networkHost: [] } as never),
      /Unknown Mima guard config key "networkHost"; accepted keys: .*networkBackstop, networkHosts, durable, strict$/,
    );
  });

  it('durable is on by default; durable: false or MIMA_GUARD_DURABLE=0 is the explicit opt-out', () => {
    assert.equal(resolveConfig({}, {}).durable, true);
    assert.equal(resolveConfig({}, { MIMA_GUARD_DURABLE: '' }).durable, true);
    assert.equal(resolveConfig({ durable: false }, {}).durable, false);
    assert.equal(resolveConfig({}, { MIMA_GUARD_DURABLE: '0' }).durable, false);
    assert.equal(resolveConfig({}, { MIMA_GUARD_DURABLE: 'false' }).durable, false);
    assert.equal(
      resolveConfig({ durable: true }, { MIMA_GUARD_DURABLE: '0' }).durable,
      true,
      'the option wins',
    );
    assert.throws(
      () => resolveConfig({ durable: 'no' as never }, {}),
      /durable must be true or false; got "no"/,
    );
    assert.throws(
      () => resolveConfig({}, { MIMA_GUARD_DURABLE: 'off' }),
      /Invalid MIMA_GUARD_DURABLE "off"; accepted: 1, true, 0, false/,
    );
  });

  it('strict is off by default; strict: true or MIMA_GUARD_STRICT=1 turns it on', () => {
    assert.equal(resolveConfig({}, {}).strict, false);
    assert.equal(resolveConfig({ strict: true }, {}).strict, true);
    assert.equal(resolveConfig({}, { MIMA_GUARD_STRICT: '1' }).strict, true);
    assert.equal(resolveConfig({}, { MIMA_GUARD_STRICT: 'TRUE' }).strict, true);
    assert.throws(
      () => resolveConfig({ strict: 1 as never }, {}),
      /strict must be true or false; got number 1/,
    );
    assert.throws(() => resolveConfig({}, { MIMA_GUARD_STRICT: 'yes' }), /Invalid MIMA_GUARD_STRICT "yes"/);
  });
});
