import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, type Json, post, productWithPolicy } from '../../../test-support/native-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

for (const dialect of await testDialects()) {
  describe(`GET /v1/licenses?order (${dialect})`, () => {
    let t: TestApp;
    let ids: number[];
    beforeAll(async () => {
      t = await createTestApp(dialect);
      const { policy } = await productWithPolicy(t);
      const batch = await post(t, '/v1/licenses/batch', { policyId: policy.id, count: 5 });
      ids = batch.data.map((l: Json) => l.id);
    });
    afterAll(() => t.dispose());

    const walk = async (order: string) => {
      const seen: number[] = [];
      let url = `/v1/licenses?limit=2&order=${order}`;
      for (;;) {
        const page = await get(t, url);
        seen.push(...page.data.map((l: Json) => l.id));
        if (!page.nextCursor) return seen;
        url = `/v1/licenses?limit=2&order=${order}&after=${page.nextCursor}`;
      }
    };

    it('pages newest first by default and with order=desc', async () => {
      expect(await walk('desc')).toEqual([...ids].reverse());
      expect((await get(t, '/v1/licenses')).data.map((l: Json) => l.id)).toEqual([...ids].reverse());
    });

    it('pages oldest first with order=asc', async () => {
      expect(await walk('asc')).toEqual(ids);
    });

    it('refuses an unknown order', async () => {
      expect((await t.call({ method: 'GET', url: '/v1/licenses?order=random' })).statusCode).toBe(400);
    });
  });
}
