import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repositories } from '../core/ports.js';
import { createTestStore, type TestDialect, testDialects } from '../test-support/test-store.js';

const T0 = new Date('2030-01-01T00:00:00Z');

/** Units of work (request-transactions.ts), the same on both databases. */
describe.each(await testDialects())('units of work on %s', (dialect: TestDialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  beforeAll(async () => {
    store = await createTestStore(dialect, { poolSize: 4 });
  });
  afterAll(() => store.dispose());

  let counter = 0;
  const name = (label: string) => `${label}-${counter++}`;
  const insert = (tx: Repositories, label: string) =>
    tx.products.insert({ name: label, code: null, createdAt: T0 });
  const exists = async (id: number) => (await store.detached(() => store.products.findById(id))) !== null;
  /** SQLite hands a rolled-back row's id to the next row: look for the name. */
  const existsNamed = async (label: string) =>
    (await store.detached(() => store.products.list({ after: null, limit: 10_000 }))).some(
      (p) => p.name === label,
    );

  it('joins every transaction of the work into one, kept by commit with the last write', async () => {
    const unit = store.unitOfWork();
    const [a, b] = await unit.run(async () => [
      await store.transaction((tx) => insert(tx, name('a'))),
      await store.transaction((tx) => insert(tx, name('b'))),
    ]);
    // Reads inside the unit see its writes; outside it nothing is visible before the commit (where a
    // transaction takes the whole database, as SQLite's does, a read outside would wait for the unit's end).
    expect(await unit.run(() => store.products.findById(a.id))).toEqual(a);
    if (!store.database.adapter.transactionTakesTheWholeDatabase) expect(await exists(a.id)).toBe(false);
    let last: number | null = null;
    await unit.commit(async (tx) => {
      last = (await insert(tx, name('last'))).id;
    });
    expect(await exists(a.id)).toBe(true);
    expect(await exists(b.id)).toBe(true);
    expect(await exists(last as unknown as number)).toBe(true);
  });

  it('keeps nothing of the work when the last write fails or when rolled back', async () => {
    const unit = store.unitOfWork();
    const a = await unit.run(() => store.transaction((tx) => insert(tx, name('doomed'))));
    await expect(
      unit.commit(async () => {
        throw new Error('the answer cannot be kept');
      }),
    ).rejects.toThrow('the answer cannot be kept');
    expect(await exists(a.id)).toBe(false);

    const other = store.unitOfWork();
    const b = await other.run(() => store.transaction((tx) => insert(tx, name('undone'))));
    await other.rollback();
    expect(await exists(b.id)).toBe(false);
  });

  it('undoes only the part of a transaction that failed inside the unit', async () => {
    const unit = store.unitOfWork();
    const { kept, failedName } = await unit.run(async () => {
      const kept = await store.transaction((tx) => insert(tx, name('kept')));
      const failedName = name('failed');
      await store
        .transaction(async (tx) => {
          await insert(tx, failedName);
          throw new Error('refused');
        })
        .catch(() => {});
      // The unit's transaction is still usable after the failure (PostgreSQL aborts it without a savepoint).
      const nested = await store.transaction((tx) =>
        store
          .transaction(async (inner) => insert(inner, name('nested')))
          .then(async (n) => [n, await insert(tx, name('outer'))]),
      );
      return { kept: [kept, ...nested], failedName };
    });
    await unit.commit(async () => {});
    for (const product of kept) expect(await exists(product.id)).toBe(true);
    expect(await existsNamed(failedName)).toBe(false);
  });

  it('runs transactions started together inside the unit one after the other', async () => {
    const unit = store.unitOfWork();
    const made = await unit.run(() =>
      Promise.all(
        Array.from({ length: 8 }, (_, i) => store.transaction((tx) => insert(tx, name(`many-${i}`)))),
      ),
    );
    await unit.commit(async () => {});
    for (const product of made) expect(await exists(product.id)).toBe(true);
  });

  it('lets detached work and other callers write on their own, without waiting for the unit forever', async () => {
    const unit = store.unitOfWork();
    let detached: Promise<{ id: number }> | null = null;
    const a = await unit.run(async () => {
      const a = await store.transaction((tx) => insert(tx, name('in-unit')));
      // Background work the request starts: its own transaction, committed whatever the unit does.
      detached = store.detached(() => store.transaction((tx) => insert(tx, name('detached'))));
      return a;
    });
    const outside = store.transaction((tx) => insert(tx, name('outside')));
    await unit.rollback();
    expect(await exists(a.id)).toBe(false);
    expect(await exists((await (detached as unknown as Promise<{ id: number }>)).id)).toBe(true);
    expect(await exists((await outside).id)).toBe(true);
  });

  it('gives the last write a transaction of its own when the work wrote nothing', async () => {
    const unit = store.unitOfWork();
    await unit.run(() => store.products.list({ after: null, limit: 1 }));
    let id = 0;
    await unit.commit(async (tx) => {
      id = (await insert(tx, name('alone'))).id;
    });
    expect(await exists(id)).toBe(true);
    // After its end the unit's code runs outside it again.
    const after = await unit.run(() => store.transaction((tx) => insert(tx, name('after'))));
    expect(await exists(after.id)).toBe(true);
  });

  it('runs an atomic write on its own outside a unit, and as part of the unit inside one', async () => {
    const alone = await store.atomicWrite((tx) => insert(tx, name('atomic alone')));
    expect(await exists(alone.id)).toBe(true);

    // The unit has not written yet: the atomic write opens its transaction rather than committing alone.
    const undone = store.unitOfWork();
    const first = await undone.run(() => store.atomicWrite((tx) => insert(tx, name('atomic undone'))));
    const second = await undone.run(() => store.atomicWrite((tx) => insert(tx, name('atomic undone too'))));
    await undone.rollback();
    expect(await exists(first.id)).toBe(false);
    expect(await exists(second.id)).toBe(false);

    const kept = store.unitOfWork();
    const third = await kept.run(() => store.atomicWrite((tx) => insert(tx, name('atomic kept'))));
    await kept.commit(async () => {});
    expect(await exists(third.id)).toBe(true);
  });
});
