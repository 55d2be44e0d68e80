import { afterAll, describe, expect, it } from 'vitest';
import { createStore, type KeywardStore } from '../../storage/create-store.js';
import { createPostgresSchemaUrl, postgresAvailable } from '../../test-support/test-store.js';
import { manualClock } from '../clock.js';
import { createKeyward } from '../keyward.js';
import { SecretBox } from '../signing/secrets.js';

const ADMIN = 'kw_admin_token_from_the_environment_0123456789';

/**
 * Several server processes started at once against one PostgreSQL database each make sure the
 * KEYWARD_ADMIN_TOKEN row exists; separate pools stand in for separate processes.
 */
describe.runIf(await postgresAvailable())('the admin token with several processes starting at once', () => {
  const stores: KeywardStore[] = [];
  let drop: (() => Promise<void>) | null = null;
  afterAll(async () => {
    for (const store of stores) await store.close();
    await drop?.();
  });

  it('comes up in every process, with exactly one admin token row', async () => {
    const schema = await createPostgresSchemaUrl();
    drop = schema.drop;
    for (let i = 0; i < 6; i++)
      stores.push(createStore({ kind: 'postgres', url: schema.url }, { poolSize: 2 }));
    await stores[0]?.migrate();
    const services = stores.map(
      (store) =>
        createKeyward({
          store,
          clock: manualClock(new Date()),
          secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
          onBackgroundError: (error) => {
            throw error;
          },
        }).adminToken,
    );
    const results = await Promise.all(services.map((adminToken) => adminToken.ensure(ADMIN)));
    expect(results).toEqual(services.map(() => ({ generated: null })));
    const rows = await stores[0]?.tokens.list({ includeRevoked: true });
    expect(rows?.map((row) => row.source)).toEqual(['env']);
  });
});
