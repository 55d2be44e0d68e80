import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasScope, SCOPES, type Scope } from '../../../core/access/scopes.js';
import { call, type Json } from '../../../test-support/limelm-calls.js';
import { type CallParams, validCalls } from '../../../test-support/limelm-valid-calls.js';
import { rowCounts } from '../../../test-support/row-counts.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { LIMELM_METHODS } from './methods/index.js';

/**
 * The security checks every method gets: no, unknown or revoked API key (100); a key without the method's
 * scopes (100, trial methods 143); a dormant key (118 for changing methods, reading ones still answer); a
 * key locked to another product (never a success that reaches this product's data); a method-locked key
 * (100). Refusals write nothing.
 */

const TRIAL_METHODS = /^limelm\.trial(Extension)?\./;
/** Methods that answer a product-locked key with what it reaches (nothing here) instead of refusing. */
const LISTS = new Set([
  'limelm.prod.getAll',
  'limelm.trial.advancedSearch',
  'limelm.test.echo',
  'limelm.tag.delete',
]);

describe('security of every LimeLM method', () => {
  let t: TestApp;
  let valid: Record<string, CallParams>;
  let otherProductId: number;
  beforeAll(async () => {
    t = await createTestApp();
    valid = await validCalls(t);
    otherProductId = (
      await t.call({ method: 'POST', url: '/v1/products', payload: { name: 'Elsewhere' } })
    ).json().id;
  });
  afterAll(() => t.dispose());

  const token = async (body: Record<string, unknown>) =>
    (
      await t.call({ method: 'POST', url: '/v1/tokens', payload: { name: `t-${Math.random()}`, ...body } })
    ).json().secret as string;

  async function refused(method: string, apiKey: string | null, code: number): Promise<Json> {
    const before = await rowCounts(t.store, () => t.keyward.bookkeeping.flush());
    const body = await call(t, method, valid[method] ?? {}, { token: apiKey });
    expect(body, method).toMatchObject({ stat: 'fail', code });
    expect(await rowCounts(t.store, () => t.keyward.bookkeeping.flush()), method).toEqual(before);
    return body;
  }

  for (const [method, spec] of Object.entries(LIMELM_METHODS)) {
    describe(method, () => {
      it('refuses a missing, unknown or revoked API key with 100', async () => {
        await refused(method, null, 100);
        await refused(method, 'kw_00000000_unknown', 100);
        const revoked = await token({ scopes: ['*'] });
        const id = (await t.call({ method: 'GET', url: '/v1/tokens' })).json().data.at(-1).id;
        await t.call({ method: 'DELETE', url: `/v1/tokens/${id}` });
        await refused(method, revoked, 100);
      });

      if (spec.scopes.length > 0)
        it('refuses a key without its scopes', async () => {
          const others = SCOPES.filter(
            (s) => s !== '*' && !spec.scopes.some((needed) => hasScope([s], needed)),
          );
          await refused(method, await token({ scopes: others }), TRIAL_METHODS.test(method) ? 143 : 100);
        });

      it('a dormant key reads but changes nothing (118)', async () => {
        const dormant = await token({ scopes: ['*'], isDormant: true });
        const writes = spec.scopes.some((s: Scope) => s.endsWith(':write'));
        if (writes) await refused(method, dormant, 118);
        else expect((await call(t, method, valid[method] ?? {}, { token: dormant })).stat, method).toBe('ok');
      });

      it('a key locked to another product reaches nothing of this one', async () => {
        const locked = await token({ scopes: ['*'], productIds: [otherProductId] });
        const before = await rowCounts(t.store, () => t.keyward.bookkeeping.flush());
        const body = await call(t, method, valid[method] ?? {}, { token: locked });
        if (LISTS.has(method)) {
          expect(body.stat, method).toBe('ok');
          expect(JSON.stringify(body), method).not.toContain('Fixture app');
        } else expect(body.stat, method).toBe('fail');
        if (method !== 'limelm.tag.delete')
          expect(await rowCounts(t.store, () => t.keyward.bookkeeping.flush()), method).toEqual(before);
      });

      it('refuses a key locked to other methods with 100', async () => {
        await refused(method, await token({ scopes: ['*'], methodLock: ['other/method'] }), 100);
      });
    });
  }
});
