import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, testDialects } from '../test-support/test-store.js';
import type { KeywardStore } from './create-store.js';

const at = (ms: number) => new Date(Date.UTC(2026, 2, 1) + ms);
const HOUR = 3600_000;

for (const dialect of await testDialects()) {
  describe(`sign-in counters (${dialect})`, () => {
    let store: KeywardStore & { dispose(): Promise<void> };
    beforeAll(async () => {
      store = await createTestStore(dialect, { poolSize: 4 });
    });
    afterAll(() => store.dispose());

    it('locks counters, zeroed where missing, and keeps what is saved', async () => {
      const first = await store.transaction((tx) => tx.signInCounters.lock(['b', 'a', 'a'], at(0)));
      expect(first).toEqual([
        { key: 'a', failureCount: 0, lastFailureAt: null, lastSuccessAt: null },
        { key: 'b', failureCount: 0, lastFailureAt: null, lastSuccessAt: null },
      ]);
      await store.transaction((tx) =>
        tx.signInCounters.save(
          { key: 'a', failureCount: 3, lastFailureAt: at(5), lastSuccessAt: at(1) },
          at(5),
        ),
      );
      const again = await store.transaction((tx) => tx.signInCounters.lock(['a'], at(6)));
      expect(again).toEqual([{ key: 'a', failureCount: 3, lastFailureAt: at(5), lastSuccessAt: at(1) }]);
    });

    it('makes a second transaction on the same counter wait for the first', async () => {
      // The row exists already: the wait comes from the row lock, not from a pending insert.
      await store.transaction((tx) => tx.signInCounters.lock(['race'], at(0)));
      let release = () => {};
      const held = new Promise<void>((done) => {
        release = done;
      });
      let locked = () => {};
      const isLocked = new Promise<void>((done) => {
        locked = done;
      });
      const first = store.transaction(async (tx) => {
        const [c] = await tx.signInCounters.lock(['race'], at(0));
        locked();
        await held;
        if (!c) throw new Error('no counter');
        await tx.signInCounters.save({ ...c, failureCount: 1 }, at(0));
      });
      await isLocked;
      let secondSaw: number | null = null;
      const second = store.transaction(async (tx) => {
        const [c] = await tx.signInCounters.lock(['race'], at(1));
        secondSaw = c?.failureCount ?? null;
      });
      await new Promise((done) => setTimeout(done, 100));
      expect(secondSaw).toBeNull();
      release();
      await Promise.all([first, second]);
      expect(secondSaw).toBe(1);
    });

    it('sweeps counters with neither a recent failure nor a recent success', async () => {
      const save = (key: string, failureAt: number | null, successAt: number | null) =>
        store.transaction((tx) =>
          tx.signInCounters.save(
            {
              key,
              failureCount: failureAt === null ? 0 : 1,
              lastFailureAt: failureAt === null ? null : at(failureAt),
              lastSuccessAt: successAt === null ? null : at(successAt),
            },
            at(Math.max(failureAt ?? 0, successAt ?? 0)),
          ),
        );
      await save('old-failure', 0, null);
      await save('recent-failure', 30 * HOUR, null);
      await save('old-success', null, 0);
      await save('recent-success', null, 10 * HOUR);
      const deleted = await store.signInCounters.deleteStale({
        failuresBefore: at(24 * HOUR),
        successesBefore: at(5 * HOUR),
      });
      expect(deleted).toBeGreaterThanOrEqual(2);
      const left = await store.transaction((tx) =>
        tx.signInCounters.lock(
          ['old-failure', 'recent-failure', 'old-success', 'recent-success'],
          at(31 * HOUR),
        ),
      );
      const byKey = Object.fromEntries(left.map((c) => [c.key, c]));
      expect(byKey['old-failure']?.lastFailureAt).toBeNull();
      expect(byKey['old-success']?.lastSuccessAt).toBeNull();
      expect(byKey['recent-failure']?.failureCount).toBe(1);
      expect(byKey['recent-success']?.lastSuccessAt).toEqual(at(10 * HOUR));
    });
  });
}
