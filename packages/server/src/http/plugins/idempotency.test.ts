import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLicense,
  createPolicy,
  createProduct,
  expectError,
  get,
  type Json,
} from '../../test-support/native-calls.js';
import {
  createSecurityContext,
  issueToken,
  ROUTE_SECURITY_CASES,
  routeKey,
  type SecurityContext,
} from '../../test-support/route-security.js';
import { rowCounts } from '../../test-support/row-counts.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { type TestDialect, testDialects } from '../../test-support/test-store.js';

describe('Idempotency-Key on creating writes', () => {
  let t: TestApp;
  let productId: number;
  let policyId: number;
  beforeAll(async () => {
    t = await createTestApp();
    productId = (await createProduct(t)).id;
    policyId = (await createPolicy(t, productId)).id;
  });
  afterAll(() => t.dispose());

  const counts = () => rowCounts(t.store, () => t.keyward.bookkeeping.flush());
  const send = (url: string, payload: object, key: string, token?: string) =>
    t.call({
      method: 'POST',
      url,
      payload,
      headers: { 'idempotency-key': key },
      ...(token ? { token } : {}),
    });

  it('replays the first answer for the same key and body, creating one row', async () => {
    const before = await counts();
    const first = await send('/v1/licenses', { policyId, notes: 'once' }, 'key-replay');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await send('/v1/licenses', { policyId, notes: 'once' }, 'key-replay');
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toMatch(/^application\/json/);
    const after = await counts();
    expect(after.licenses - before.licenses).toBe(1);
    expect(after.events - before.events).toBe(1);
  });

  it('replays a batch and an activation too', async () => {
    const batch = () => send('/v1/licenses/batch', { policyId, count: 3 }, 'key-batch');
    const first = await batch();
    const before = await counts();
    const second = await batch();
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.body).toBe(first.body);
    expect(await counts()).toEqual(before);

    const licenseId = first.json().data[0].id;
    const activation = () => send('/v1/machines', { licenseId, fingerprint: 'fp' }, 'key-machine');
    const activated = await activation();
    const replayed = await activation();
    expect([activated.statusCode, replayed.statusCode]).toEqual([201, 201]);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
  });

  it('refuses the same key with a different body with 409 IDEMPOTENCY_CONFLICT', async () => {
    await send('/v1/products', { name: 'First' }, 'key-conflict');
    const before = await counts();
    await expectError(send('/v1/products', { name: 'Second' }, 'key-conflict'), 409, 'IDEMPOTENCY_CONFLICT');
    expect(await counts()).toEqual(before);
  });

  it('does not keep a failed answer: a retry after the failure runs again', async () => {
    // The policy the request names does not exist yet: the first attempt fails with 404.
    const nextPolicyId =
      (await get(t, '/v1/policies?limit=1000')).data.reduce(
        (max: number, p: Json) => Math.max(max, p.id),
        0,
      ) + 1;
    const payload = { policyId: nextPolicyId, notes: 'retried' };
    const failed = await send('/v1/licenses', payload, 'key-after-failure');
    await expectError(failed, 404, 'NOT_FOUND');
    expect(failed.headers['idempotent-replayed']).toBeUndefined();

    expect((await createPolicy(t, productId)).id).toBe(nextPolicyId);
    const retried = await send('/v1/licenses', payload, 'key-after-failure');
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.json()).toMatchObject({ policyId: nextPolicyId, notes: 'retried' });
  });

  it('keeps keys apart per credential and per route', async () => {
    const { secret } = await issueToken(t, { scopes: ['products:write', 'customers:write'] });
    const mine = await send('/v1/products', { name: 'Same' }, 'key-shared');
    const theirs = await send('/v1/products', { name: 'Same' }, 'key-shared', secret);
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.json().id).not.toBe(mine.json().id);
    const customer = await send('/v1/customers', { name: 'Same' }, 'key-shared');
    expect(customer.statusCode).toBe(201);
    expect(customer.headers['idempotent-replayed']).toBeUndefined();
  });

  it('creates anew once the kept answer has expired', async () => {
    const first = await send('/v1/products', { name: 'Daily' }, 'key-ttl');
    t.clock.advance(25 * 3600);
    const second = await send('/v1/products', { name: 'Daily' }, 'key-ttl');
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().id).not.toBe(first.json().id);
  });

  it('deletes kept answers once no retry can ask for them', async () => {
    // Whatever earlier tests left a day behind goes first.
    t.clock.advance(24 * 3600 + 1);
    await t.keyward.idempotency.sweepExpired();
    await send('/v1/products', { name: 'Swept' }, 'key-swept');
    const kept = async () => (await keptAnswers(t)).length;
    const before = await kept();
    expect(before).toBeGreaterThan(0);
    expect(await t.keyward.idempotency.sweepExpired()).toBe(0);
    t.clock.advance(24 * 3600 + 1);
    expect(await t.keyward.idempotency.sweepExpired()).toBe(before);
    expect(await kept()).toBe(0);
  });

  it('refuses a key that is empty, too long or not visible ASCII', async () => {
    for (const key of ['', 'x'.repeat(256), 'with space', 'ключ']) {
      const before = await counts();
      const response = await t.call({
        method: 'POST',
        url: '/v1/products',
        payload: { name: 'x' },
        headers: {
          'idempotency-key': encodeURIComponent(key) === key ? key : Buffer.from(key).toString('latin1'),
        },
      });
      await expectError(response, 400, 'INVALID_INPUT');
      expect(await counts()).toEqual(before);
    }
  });
});

/** The raw rows kept for replays: what someone reading the database (or a backup of it) finds. */
async function keptAnswers(t: TestApp): Promise<string[]> {
  const { db } = t.store.database;
  const { rows } = await sql<{
    body: string | null;
  }>`select response_body as body from idempotency_keys`.execute(db);
  return rows.map((row) => row.body ?? '');
}

describe.each(await testDialects())('Idempotency-Key on every write (%s)', (dialect: TestDialect) => {
  let t: TestApp;
  let policyId: number;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    policyId = (await createPolicy(t, (await createProduct(t)).id)).id;
  });
  afterAll(() => t.dispose());

  const counts = () => rowCounts(t.store, () => t.keyward.bookkeeping.flush());
  const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, key: string, payload?: object) =>
    t.call({
      method,
      url,
      ...(payload === undefined ? {} : { payload }),
      headers: { 'idempotency-key': key },
    });

  it('moves the expiry once when extend is sent twice with one key', async () => {
    const license = await createLicense(t, policyId, { expiresAt: '2031-01-01T00:00:00.000Z' });
    const extend = () =>
      send('POST', `/v1/licenses/${license.id}/actions/extend`, 'extend-once', { seconds: 86_400 });
    const first = await extend();
    const second = await extend();
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect((await get(t, `/v1/licenses/${license.id}`)).expiresAt).toBe('2031-01-02T00:00:00.000Z');
  });

  it('creates one token for two requests with one key, and keeps its secret only sealed', async () => {
    const before = await counts();
    const payload = { name: 'deploy', scopes: ['licenses:read'] };
    const first = await send('POST', '/v1/tokens', 'token-once', payload);
    const second = await send('POST', '/v1/tokens', 'token-once', payload);
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const { secret } = first.json();
    expect(secret).toMatch(/^kw_/);
    // The retry gets the secret it never saw, as the first answer had it.
    expect(second.json().secret).toBe(secret);
    expect((await counts()).api_tokens - before.api_tokens).toBe(1);
    const kept = await keptAnswers(t);
    expect(kept.length).toBeGreaterThan(0);
    for (const body of kept) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain(secret.slice(12));
      expect(body).not.toContain('deploy');
    }
  });

  it('replays a webhook and its signing secret, and a deletion', async () => {
    const webhook = () =>
      send('POST', '/v1/webhooks', 'webhook-once', {
        url: 'https://crm.example.com/keyward',
        eventTypes: ['license.created'],
      });
    const first = await webhook();
    const second = await webhook();
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.json()).toEqual(first.json());
    const { id } = first.json();
    expect((await get(t, '/v1/webhooks')).data.filter((w: Json) => w.id === id)).toHaveLength(1);
    for (const body of await keptAnswers(t)) expect(body).not.toContain(first.json().secret);

    const removal = () => send('DELETE', `/v1/webhooks/${id}`, 'webhook-delete');
    const removed = await removal();
    const again = await removal();
    expect([removed.statusCode, again.statusCode]).toEqual([204, 204]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe('');
  });

  it('runs one of two requests sent at once with one key; the other waits its turn or replays', async () => {
    const before = await counts();
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => send('POST', '/v1/products', 'parallel', { name: 'Raced' })),
    );
    const created = answers.filter((a) => a.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const answer of created) expect(answer.body).toBe(created[0]?.body);
    for (const answer of answers.filter((a) => a.statusCode !== 201)) {
      await expectError(answer, 409, 'IDEMPOTENCY_CONFLICT');
    }
    expect((await counts()).products - before.products).toBe(1);
  });

  it('commits the change with its answer: when keeping the answer fails, the change is undone', async () => {
    const { db } = t.store.database;
    if (dialect === 'sqlite') {
      await sql`create trigger refuse_answers before update on idempotency_keys
        begin select raise(abort, 'answers refused by the test'); end`.execute(db);
    } else {
      await sql`create function refuse_answers() returns trigger language plpgsql as
        $$ begin raise exception 'answers refused by the test'; end $$`.execute(db);
      await sql`create trigger refuse_answers before update on idempotency_keys
        for each row execute function refuse_answers()`.execute(db);
    }
    const before = await counts();
    const payload = { policyId, count: 3 };
    const failed = await send('POST', '/v1/licenses/batch', 'atomic', payload);
    await expectError(failed, 500, 'INTERNAL');
    // Nothing of the request was kept: no licenses, no events, no answer.
    expect(await counts()).toEqual(before);

    await sql`drop trigger refuse_answers${sql.raw(dialect === 'sqlite' ? '' : ' on idempotency_keys')}`.execute(
      db,
    );
    const retried = await send('POST', '/v1/licenses/batch', 'atomic', payload);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect((await counts()).licenses - before.licenses).toBe(3);
    const replayed = await send('POST', '/v1/licenses/batch', 'atomic', payload);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect((await counts()).licenses - before.licenses).toBe(3);
  });
});

describe('every write of the native API replays its first answer', () => {
  let t: TestApp;
  let ctx: SecurityContext;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { allowPrivateDestinations: true });
    ctx = await createSecurityContext(t);
  });
  afterAll(() => t.dispose());

  /**
   * Signing in and out answer with cookies: a replay cannot stand for them (plugins/idempotency.ts). A
   * validation changes nothing a retry could repeat, and answers as of now (routes/validation.ts).
   */
  const VALIDATIONS = ['POST /v1/licenses/:id/actions/validate', 'POST /v1/licenses/actions/validate-key'];
  const EXEMPT = new Set(['POST /v1/session', 'DELETE /v1/session', ...VALIDATIONS]);
  const writes = ROUTE_SECURITY_CASES.filter(
    (c) => c.method !== 'GET' && !EXEMPT.has(routeKey(c.method, c.route)),
  );

  it('covers the writes of the security table', () => {
    expect(writes.length).toBeGreaterThanOrEqual(30);
  });

  it.each(VALIDATIONS)('%s answers each request afresh, Idempotency-Key or not', async (name) => {
    const routeCase = ROUTE_SECURITY_CASES.find((c) => routeKey(c.method, c.route) === name);
    if (!routeCase) throw new Error(`${name} is not in the security table`);
    const { url, payload } = await routeCase.request(ctx);
    const send = () =>
      t.call({
        method: routeCase.method,
        url,
        payload: { ...(payload as object), nonce: 'same-nonce' },
        headers: { 'idempotency-key': `validation:${name}` },
      });
    const first = await send();
    t.clock.advance(1);
    const second = await send();
    expect(first.statusCode, first.body).toBe(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().ts).not.toBe(first.json().ts);
  });

  it.each(writes.map((c) => [routeKey(c.method, c.route), c] as const))('%s', async (_name, routeCase) => {
    const { url, payload } = await routeCase.request(ctx);
    const send = () =>
      t.call({
        method: routeCase.method,
        url,
        ...(payload === undefined ? {} : { payload: payload as object }),
        headers: { 'idempotency-key': `every-write:${routeCase.method}:${routeCase.route}` },
      });
    const first = await send();
    expect(first.statusCode, first.body).toBeLessThan(300);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // An import goes on in the background after its answer: its own writes are not the replay's.
    if (routeCase.route === '/v1/imports') {
      const id = first.json().id;
      while ((await get(t, `/v1/imports/${id}`)).status === 'running')
        await new Promise((r) => setTimeout(r, 10));
    }
    const between = await rowCounts(t.store, () => t.keyward.bookkeeping.flush());
    const second = await send();
    expect(second.statusCode).toBe(first.statusCode);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(await rowCounts(t.store, () => t.keyward.bookkeeping.flush())).toEqual(between);
  });
});
