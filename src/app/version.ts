// Kept equal to package.json by test/version.test.ts.
export const PACKAGE_NAME = '@mima-governance/instrumentation-guard';
export const PACKAGE_VERSION = '0.1.0';
