import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { operatorPrincipal } from '../../core/access/principal.js';
import { newEvent } from '../../core/events/record-event.js';
import type { BookkeepingBatch } from '../../core/ports.js';
import { ensureBuilt, PACKAGE_DIR } from '../../test-support/server-process.js';
import { licenseInput, policyInput, T0, unique } from '../../test-support/store-inputs.js';
import { createStore } from '../create-store.js';
import * as fromSources from './bookkeeping-thread.js';

type ThreadModule = typeof fromSources;

/** The thread runs the built worker module, as the server does; the sources have none beside them. */
let built: ThreadModule;
beforeAll(async () => {
  ensureBuilt();
  built = (await import(
    pathToFileURL(resolve(PACKAGE_DIR, 'dist/storage/sqlite/bookkeeping-thread.js')).href
  )) as ThreadModule;
}, 180_000);

const actor = { tokenId: null, ip: '203.0.113.5', via: 'native', principal: operatorPrincipal };

describe('the bookkeeping thread (SQLite server)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function databaseWithLicense() {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-bookkeeping-'));
    dirs.push(dir);
    const path = join(dir, 'keyward.sqlite');
    const store = createStore({ kind: 'sqlite', path });
    await store.migrate();
    const product = await store.products.insert({ name: unique('product'), code: null, createdAt: T0 });
    const policy = await store.policies.insert(policyInput(product.id));
    const license = await store.licenses.insert(licenseInput(policy));
    await store.close();
    return { path, licenseId: license.id };
  }

  const batchFor = (licenseId: number, count: number): BookkeepingBatch => ({
    events: Array.from({ length: count }, (_, i) =>
      newEvent('license.validated', actor, new Date(T0.getTime() + i), { licenseId, code: 'VALID' }),
    ),
    validated: { ids: [licenseId], at: new Date(T0.getTime() + 60_000), renewedIfBefore: T0 },
  });

  it('writes each batch on its own connection and answers once it is committed', async () => {
    const { path, licenseId } = await databaseWithLicense();
    const fallback = vi.fn(async () => {});
    const failures: Error[] = [];
    const thread = built.startBookkeepingThread({ path, durability: 'full' }, fallback, (e) =>
      failures.push(e),
    );
    expect(thread).not.toBeNull();
    await Promise.all([thread?.write(batchFor(licenseId, 120)), thread?.write(batchFor(licenseId, 3))]);

    const db = new Sqlite(path, { readonly: true });
    const events = db.prepare(`select count(*) as n from events where license_id = ?`).get(licenseId);
    const license = db.prepare('select last_validated_at as at from licenses where id = ?').get(licenseId);
    db.close();
    expect(events).toEqual({ n: 123 });
    expect((license as { at: unknown }).at).not.toBeNull();
    expect(fallback).not.toHaveBeenCalled();
    expect(failures).toEqual([]);
    await thread?.stop();
  });

  it('hands what it could not write to the fallback when the thread fails, and everything after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-bookkeeping-'));
    dirs.push(dir);
    const written: BookkeepingBatch[] = [];
    const failures: Error[] = [];
    // A directory where the database file should be: the thread cannot open it.
    const thread = built.startBookkeepingThread(
      { path: dir, durability: 'full' },
      async (batch) => {
        written.push(batch);
      },
      (e) => failures.push(e),
    );
    const first = batchFor(1, 2);
    const second = batchFor(1, 1);
    await thread?.write(first);
    await thread?.write(second);
    expect(written).toEqual([first, second]);
    expect(failures.length).toBeGreaterThan(0);
    await thread?.stop();
  });

  it('is not started from the sources, which have no worker module to run: the caller writes itself', () => {
    expect(
      fromSources.startBookkeepingThread({ path: ':memory:', durability: 'full' }, vi.fn(), vi.fn()),
    ).toBeNull();
  });
});
