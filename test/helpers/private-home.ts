import { tempDir } from './temp-dir';

/**
 * Loaded by mocha before any test (.mocharc.yml `require`): the test process and the children it
 * starts get a HOME of their own, so that nothing a test leaves to the guard's default log (the
 * durable fallback at exit) lands in the real ~/.mima of whoever runs the suite.
 */
process.env.HOME = tempDir('mima-test-home-');
