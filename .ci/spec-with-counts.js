// Mocha reporter for CI: prints exactly what the default Spec reporter prints, and when the run ends
// also writes the run's counts as JSON ({ passes, failures, pending, tests, failed }) to the file named
// by the MIMA_CI_RESULTS environment variable, so .ci/run can add up the results of several runs and
// name the failed tests in its summary (the tail of a CI log is often all that is kept).
// Without MIMA_CI_RESULTS it behaves like plain Spec.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

function firstLine(err) {
  const text = err && err.message ? String(err.message) : String(err);
  return text.split('\n')[0].slice(0, 300);
}

class SpecWithCounts extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const out = process.env.MIMA_CI_RESULTS;
    if (!out) return;
    const failed = [];
    let ended = false;
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      // A file that failed to load, or whose worker died, fails as "Uncaught error outside test
      // suite": name the file, or the summary cannot say which one it was.
      const where = test.file && !String(err && err.message).includes(test.file) ? ` (${test.file})` : '';
      failed.push(`${test.fullTitle()}: ${firstLine(err)}${where}`);
    });
    // `on`, not `once`: in parallel mode mocha emits 'end' once per file that failed to load (or
    // whose worker died) and then once more for the whole run; the last write has every count.
    runner.on(EVENT_RUN_END, () => {
      ended = true;
      const { passes = 0, failures = 0, pending = 0, tests = 0 } = this.stats;
      // Synchronous on purpose: .mocharc.yml sets `exit: true`, so mocha exits right after 'end'.
      fs.writeFileSync(out, JSON.stringify({ passes, failures, pending, tests, failed }) + '\n');
    });
    // In parallel mode a worker that dies after its file finished (a late uncaught exception or
    // rejection, process.exit in a timer) leaves mocha's worker pool waiting for an exit event that
    // never comes: the event loop drains and mocha exits 0 with no summary. Fail that exit.
    process.once('exit', (code) => {
      if (ended) return;
      process.stderr.write(
        "\nspec-with-counts: mocha exited before the end of the run (a test file's " +
          'worker process died? see the stack trace above); no counts were written\n',
      );
      if (!code) process.exitCode = 1;
    });
  }
}

module.exports = SpecWithCounts;
