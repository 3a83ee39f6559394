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
    runner.on(EVENT_TEST_FAIL, (test, err) => failed.push(`${test.fullTitle()}: ${firstLine(err)}`));
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0, tests = 0 } = this.stats;
      // Synchronous on purpose: .mocharc.yml sets `exit: true`, so mocha exits right after 'end'.
      fs.writeFileSync(out, JSON.stringify({ passes, failures, pending, tests, failed }) + '\n');
    });
  }
}

module.exports = SpecWithCounts;
