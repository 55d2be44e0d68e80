import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const readJson = (name: string) => JSON.parse(readFileSync(`${REPOSITORY}${name}`, 'utf8'));

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

/** The lowest version of each part of a range: `^20.19.0 || >=22.12.0` gives 20.19.0 and 22.12.0. */
function lowestVersions(range: string): string[] {
  return new semver.Range(range).set.map((comparators) => {
    const lowest = semver.minVersion(comparators.map((c) => c.value).join(' '));
    if (!lowest) throw new Error(`the range ${range} admits no version`);
    return lowest.version;
  });
}

/**
 * `npm ci` warns (EBADENGINE) when a locked package does not support the Node it runs on. The repository
 * promises the root `engines` range, so every package in the lockfile must accept the lowest version of
 * each part of that range, and the Node running this test when it is within the range.
 */
describe('the Node versions the repository promises', () => {
  const promised: string = readJson('package.json').engines.node;
  const lock: { packages: Record<string, LockedPackage> } = readJson('package-lock.json');

  it('reads the lowest version of each part of a range', () => {
    expect(lowestVersions('^20.19.0 || >=22.12.0')).toEqual(['20.19.0', '22.12.0']);
    expect(lowestVersions('>=20.19')).toEqual(['20.19.0']);
  });

  it('are supported by every locked package', () => {
    const versions = lowestVersions(promised);
    if (semver.satisfies(process.versions.node, promised)) versions.push(process.versions.node);
    const refusals: string[] = [];
    for (const [path, locked] of Object.entries(lock.packages)) {
      const range = Array.isArray(locked.engines) ? undefined : locked.engines?.node;
      if (!range) continue;
      for (const version of versions) {
        if (!semver.satisfies(version, range))
          refusals.push(`${path}@${locked.version} needs Node ${range}, not ${version}`);
      }
    }
    expect(refusals).toEqual([]);
  });
});
