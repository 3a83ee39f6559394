/**
 * Loaded by mocha before any test (.mocharc.yml `require`), as a root hook. mocha only re-emits
 * an unhandled promise rejection, and with nobody else listening it is lost: the test passes.
 * Rethrown here, it reaches mocha's uncaught-exception handler and fails the test (or the file)
 * that was running. mocha's parallel worker removes every 'unhandledRejection' listener after each
 * file it runs, so the listener is added again for each file (once in a serial run).
 */
function rethrow(reason: unknown): never {
  throw reason;
}

export const mochaHooks: Mocha.RootHookObject = {
  beforeAll() {
    if (!process.listeners('unhandledRejection').includes(rethrow)) process.on('unhandledRejection', rethrow);
  },
};
