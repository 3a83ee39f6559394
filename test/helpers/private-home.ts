import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Loaded by mocha before any test (.mocharc.yml `require`): the test process and the children it
 * starts get a HOME of their own, so that nothing a test leaves to the guard's default log (the
 * durable fallback at exit) lands in the real ~/.mima of whoever runs the suite.
 */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-test-home-'));
process.env.HOME = home;
process.on('exit', () => fs.rmSync(home, { recursive: true, force: true }));
