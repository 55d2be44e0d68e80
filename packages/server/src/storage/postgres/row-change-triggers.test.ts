import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { License, Policy } from '../../core/model.js';
import { at, licenseInput, machineInput, policyInput, unique } from '../../test-support/store-inputs.js';
import { createPostgresSchemaUrl, postgresAvailable } from '../../test-support/test-store.js';
import { createStore, type KeywardStore } from '../create-store.js';
import { MAX_IDS_PER_MESSAGE } from '../read-cache/cache-change.js';
import { CHANGE_CHANNEL_PREFIX } from '../read-cache/watched-tables.js';

/** What the triggers tell a listener, as PostgreSQL delivers it: one message per notice, at commit. */
describe.runIf(await postgresAvailable())('the change feed’s row triggers (PostgreSQL)', () => {
  let store: KeywardStore;
  let listener: pg.Client;
  let drop: () => Promise<void>;
  let policy: Policy;
  const heard: string[] = [];
  let marks = 0;

  beforeAll(async () => {
    const database = await createPostgresSchemaUrl();
    drop = database.drop;
    store = createStore({ kind: 'postgres', url: database.url }, { cacheEntries: 0 });
    await store.migrate();
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const { rows } = await listener.query<{ schema: string }>('select current_schema() as schema');
    const channel = `${CHANGE_CHANNEL_PREFIX}${rows[0]?.schema}`;
    listener.on('notification', (message) => {
      if (message.channel === channel) heard.push(message.payload ?? '');
    });
    await listener.query(`listen "${channel}"`);
    const product = await store.products.insert({ name: unique('rows'), code: null, createdAt: at(0) });
    policy = await store.policies.insert(policyInput(product.id));
  });

  afterAll(async () => {
    await listener.end();
    await store.close();
    await drop();
  });

  /** Sends a marker notice and waits for it: everything committed before it has been heard by then. */
  async function markerHeard(): Promise<string> {
    const mark = `mark-${++marks}`;
    await sql`select pg_notify(${CHANGE_CHANNEL_PREFIX} || current_schema(), ${mark})`.execute(
      store.database.db,
    );
    for (let waited = 0; !heard.includes(mark); waited += 5) {
      if (waited > 5000) throw new Error('the marker never arrived');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return mark;
  }

  /** What the listener heard from `change`, and only from it. */
  async function heardFrom(change: () => Promise<unknown>): Promise<string[]> {
    await markerHeard();
    heard.length = 0;
    await change();
    const mark = await markerHeard();
    return heard.slice(0, heard.indexOf(mark));
  }

  const aLicense = (): Promise<License> => store.licenses.insert(licenseInput(policy));

  it('names the license a change of its row, of its machines and of its tags is about', async () => {
    const license = await aLicense();
    expect(
      await heardFrom(() => store.licenses.update(license.id, { notes: 'x', updatedAt: at(1) })),
    ).toEqual([`l:${license.id}`]);
    expect(await heardFrom(() => store.machines.insert(machineInput(license.id, unique('fp'))))).toEqual([
      `l:${license.id}`,
    ]);
    expect(
      await heardFrom(() => store.licenses.update(license.id, { tags: ['a', 'b'], updatedAt: at(2) })),
    ).toContain(`l:${license.id}`);
  });

  it('names a product a change of its row is about (migration 022)', async () => {
    const product = await store.products.insert({ name: unique('named'), code: null, createdAt: at(0) });
    expect(await heardFrom(() => store.products.update(product.id, { name: unique('renamed') }))).toEqual([
      `c:${product.id}`,
    ]);
  });

  it('says nothing of an update that changes nothing, or only validation’s bookkeeping', async () => {
    const license = await aLicense();
    expect(
      await heardFrom(() =>
        sql`update licenses set notes = notes where id = ${license.id}`.execute(store.database.db),
      ),
    ).toEqual([]);
    expect(await heardFrom(() => store.licenses.touchValidated([license.id], at(3), at(3)))).toEqual([]);
  });

  it('names both licenses of a machine moved from one to the other', async () => {
    const [from, to] = [await aLicense(), await aLicense()];
    const machine = await store.machines.insert(machineInput(from.id, unique('fp')));
    const notices = await heardFrom(() =>
      sql`update machines set license_id = ${to.id} where id = ${machine.id}`.execute(store.database.db),
    );
    expect(notices.sort()).toEqual([`l:${from.id}`, `l:${to.id}`].sort());
  });

  it(`sends at most ${MAX_IDS_PER_MESSAGE} notices a transaction, then one that says everything`, async () => {
    const licenses: License[] = [];
    for (let i = 0; i < MAX_IDS_PER_MESSAGE + 20; i++) licenses.push(await aLicense());
    const ids = licenses.map((l) => l.id);
    const notices = await heardFrom(() =>
      sql`update licenses set notes = 'bulk' where id in (${sql.join(ids)})`.execute(store.database.db),
    );
    expect(notices).toHaveLength(MAX_IDS_PER_MESSAGE + 1);
    expect(notices.at(-1)).toBe('*');
    // The next transaction counts afresh.
    expect(
      await heardFrom(() => store.licenses.update(ids[0] as number, { notes: 'y', updatedAt: at(4) })),
    ).toEqual([`l:${ids[0]}`]);
  });

  it('sends nothing for a change rolled back', async () => {
    const license = await aLicense();
    const notices = await heardFrom(async () => {
      await store.database.db
        .transaction()
        .execute(async (tx) => {
          await sql`update licenses set notes = 'never' where id = ${license.id}`.execute(tx);
          throw new Error('roll back');
        })
        .catch(() => {});
    });
    expect(notices).toEqual([]);
  });
});
