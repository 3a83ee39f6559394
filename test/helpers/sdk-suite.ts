import nock from 'nock';
import { clearRecords, useGuard } from './guard';

/**
 * Registers the hooks every SDK suite shares: each test starts with no HTTP interceptors and
 * an empty report, and the suite hands the guard back in warn mode.
 */
export function isolateSdkTests() {
  beforeEach(async () => {
    nock.cleanAll();
    await clearRecords();
  });
  afterEach(() => nock.cleanAll());
  after(() => useGuard({ mode: 'warn' }));
}
