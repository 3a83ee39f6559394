// Mocha reporter for CI: prints exactly what the default Spec reporter prints, and when the run ends
// also writes the run's counts as JSON ({ passes, failures, pending, tests }) to the file named by
// the MIMA_CI_RESULTS environment variable, so .ci/run can add up the results of several runs.
// Without MIMA_CI_RESULTS it behaves like plain Spec.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithCounts extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const out = process.env.MIMA_CI_RESULTS;
    if (!out) return;
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0, tests = 0 } = this.stats;
      // Synchronous on purpose: .mocharc.yml sets `exit: true`, so mocha exits right after 'end'.
      fs.writeFileSync(out, JSON.stringify({ passes, failures, pending, tests }) + '\n');
    });
  }
}

module.exports = SpecWithCounts;
