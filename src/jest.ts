/**
 * `setupFiles: ['@mima-governance/instrumentation-guard/jest']`: the package's Jest entry point.
 * The setup itself is app/runners/jest.ts.
 */
import './app/runners/jest';
