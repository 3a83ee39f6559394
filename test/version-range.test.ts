import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import semverSatisfies from 'semver/functions/satisfies';
import semverValid from 'semver/functions/valid';
import { SDK_DEFINITIONS } from '../src/app/sdks';
import { isValidVersion, satisfiesRange } from '../src/app/version-range';

/** Every range the guard's own code uses, and the other forms the subset promises. */
const RANGES = [
  ...new Set(SDK_DEFINITIONS.flatMap((d) => [d.supportedVersions, ...d.patchPoints.map((p) => p.versions)])),
  '^22.12.0 || >=23.2.0',
  '*',
  '>=4 <8',
  '^0.2.3',
  '^0.0.3',
  '^0.0',
  '^1',
  '>8',
  '>1.2',
  '>1.2.3',
  '<=8',
  '<=1.2',
  '<=1.2.3',
  '1.2',
  '1.2.3',
  '>=0.20.0 <0.50.0 || ^1.1.0',
];

const identifier = fc.oneof(
  fc.constantFrom('0', '1', '2', '10', 'alpha', 'beta', 'rc', 'x-1'),
  fc.nat(12).map(String),
);
const version = fc
  .tuple(
    fc.nat(12),
    fc.oneof(fc.nat(3), fc.constant(50), fc.constant(49), fc.constant(12)),
    fc.nat(3),
    fc.option(fc.array(identifier, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  )
  .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre ? `-${pre.join('.')}` : ''}`);

describe('version ranges (the semver subset the guard uses)', () => {
  it('agrees with the semver package on every range, for any version, with and without prereleases', () => {
    fc.assert(
      fc.property(version, fc.constantFrom(...RANGES), fc.boolean(), (v, range, includePrerelease) => {
        assert.equal(
          satisfiesRange(v, range, { includePrerelease }),
          semverSatisfies(v, range, { includePrerelease }),
          `${v} in ${range} (includePrerelease ${includePrerelease})`,
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with semver on the edges of the SDK ranges', () => {
    for (const range of RANGES) {
      for (const v of [
        '0.19.9',
        '0.20.0',
        '0.49.9',
        '0.50.0',
        '3.99.99',
        '4.0.0',
        '7.57.0',
        '8.0.0',
        '8.0.0-beta.1',
        '22.12.0',
        '22.11.9',
        '23.2.0',
      ]) {
        assert.equal(satisfiesRange(v, range), semverSatisfies(v, range), `${v} in ${range}`);
      }
    }
  });

  it('tells valid versions as semver does', () => {
    for (const v of [
      '1.2.3',
      'v1.2.3',
      '1.2.3-beta.1+build.5',
      '1.2',
      'x',
      '',
      '1.2.3.4',
      '01.2.3',
      '1.2.3-',
      '1.2.3-01',
      '1.2.3-a..b',
      ' 1.2.3 ',
    ]) {
      assert.equal(isValidVersion(v), semverValid(v) !== null, v);
    }
    assert.equal(satisfiesRange('not-a-version', '*'), false);
  });

  it('names a range outside the subset instead of guessing', () => {
    assert.throws(
      () => satisfiesRange('1.0.0', '~1.2.0'),
      /unsupported version range "~1\.2\.0": cannot read ~1\.2\.0/,
    );
    assert.throws(() => satisfiesRange('1.0.0', '>=1.0.0-beta'), /unsupported version range/);
  });
});
