import * as path from 'node:path';
import { ROOT } from '../helpers/guard';
import type { ChildReport } from './child';
import { contractCases } from './contract';
import { installedPackage, nodeSkipReason, runRow } from './run-row';
import { CONFORMANCE_ROWS } from './rows';

/**
 * The conformance table against the locked copies in test/versions: every row, every version
 * directory, every module system, one child process each, one test per contract case.
 */
for (const row of CONFORMANCE_ROWS) {
  for (const dir of row.versionDirs) {
    const installDir = path.join(ROOT, 'test', 'versions', dir);
    const { version } = installedPackage(row, installDir);
    for (const system of row.moduleSystems) {
      const skip = nodeSkipReason(row, installDir);
      const title = `conformance: ${row.module} ${version} (${system})${skip ? ` (skipped: ${skip})` : ''}`;
      (skip ? describe.skip : describe)(title, function () {
        this.timeout(120_000);
        let report: ChildReport | undefined;
        let failure: Error | undefined;
        before(async () => {
          try {
            report = await runRow(row, installDir, system);
          } catch (error) {
            failure = error as Error;
          }
        });
        for (const contractCase of contractCases(row)) {
          it(contractCase.name, function () {
            if (failure) throw failure;
            const outcome = report!.cases.find((c) => c.name === contractCase.name);
            if (!outcome) throw new Error('the case did not run');
            if (outcome.error) throw new Error(outcome.error);
            if (outcome.skipped) this.skip();
          });
        }
      });
    }
  }
}
