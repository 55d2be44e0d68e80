import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerOf, callCryptolens, cryptolensToken } from '../../../test-support/cryptolens-calls.js';
import { expectError, expectStatus, get, post } from '../../../test-support/native-calls.js';
import { describeRouteSecurity, issueToken } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('messages routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it('creates, lists newest first, filters by channel and deletes a message', async () => {
    const first = await post(t, '/v1/messages', { channel: 'release', content: 'Version 2.0 is out' });
    expect(first).toEqual({
      id: expect.any(Number),
      channel: 'release',
      content: 'Version 2.0 is out',
      createdAt: t.clock.now().toISOString(),
    });
    t.clock.advance(60);
    const second = await post(t, '/v1/messages', { channel: 'outage', content: 'Down for maintenance' });
    expect((await get(t, '/v1/messages')).data.slice(0, 2)).toEqual([second, first]);
    expect((await get(t, '/v1/messages?channel=release')).data).toEqual([first]);
    const since = new Date(Date.parse(first.createdAt) + 1).toISOString();
    expect((await get(t, `/v1/messages?since=${since}`)).data).toEqual([second]);

    await expectStatus(t.call({ method: 'DELETE', url: `/v1/messages/${first.id}` }), 204);
    expect((await get(t, '/v1/messages?channel=release')).data).toEqual([]);
    await expectError(t.call({ method: 'DELETE', url: `/v1/messages/${first.id}` }), 404, 'NOT_FOUND');
  });

  it('pages with nextCursor, also through messages of the same instant', async () => {
    const channel = 'paging';
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await post(t, '/v1/messages', { channel, content: `m${i}` }));
    const seen: number[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const page: { data: Array<{ id: number }>; nextCursor: string | null } = await get(
        t,
        `/v1/messages?channel=${channel}&limit=2${after ? `&after=${after}` : ''}`,
      );
      seen.push(...page.data.map((m) => m.id));
      after = page.nextCursor;
      if (!after) break;
    }
    expect(seen).toEqual(created.map((m) => m.id).reverse());
  });

  it('refuses bad input with the field named', async () => {
    const empty = await expectError(
      t.call({ method: 'POST', url: '/v1/messages', payload: { channel: 'x', content: '' } }),
      400,
      'INVALID_INPUT',
    );
    expect(JSON.stringify(empty)).toMatch(/content/);
    await expectError(
      t.call({ method: 'POST', url: '/v1/messages', payload: { channel: 'x', content: 'y'.repeat(10_001) } }),
      400,
      'INVALID_INPUT',
    );
    await expectError(t.call({ method: 'GET', url: '/v1/messages?after=12' }), 400, 'INVALID_INPUT');
    await expectError(t.call({ method: 'GET', url: '/v1/messages?since=yesterday' }), 400, 'INVALID_INPUT');
  });

  it('lets a product-locked app token read messages but not write them', async () => {
    const product = await post(t, '/v1/products', { name: 'Locked' });
    const { secret } = await issueToken(t, {
      scopes: ['messages:read', 'messages:write'],
      productIds: [product.id],
    });
    await post(t, '/v1/messages', { channel: 'apps', content: 'hello apps' });
    const read = await expectStatus(
      t.call({ method: 'GET', url: '/v1/messages?channel=apps', token: secret }),
      200,
    );
    expect(read.data.map((m: { content: string }) => m.content)).toEqual(['hello apps']);
    await expectError(
      t.call({
        method: 'POST',
        url: '/v1/messages',
        token: secret,
        payload: { channel: 'apps', content: 'x' },
      }),
      403,
      'FORBIDDEN',
    );
  });

  it('shares messages with the Cryptolens dialect both ways', async () => {
    const token = await cryptolensToken(t);
    const native = await post(t, '/v1/messages', { channel: 'bridge', content: 'from native' });
    const created = await answerOf(
      callCryptolens(t, 'message/CreateMessage', { token, Channel: 'bridge', Content: 'from Cryptolens' }),
    );
    const answer = await answerOf(callCryptolens(t, 'message/GetMessages', { token, Channel: 'bridge' }));
    expect(answer.messages.map((m: { content: string }) => m.content).sort()).toEqual([
      'from Cryptolens',
      'from native',
    ]);
    const listed = (await get(t, '/v1/messages?channel=bridge')).data.map((m: { id: number }) => m.id);
    expect(listed.sort()).toEqual([native.id, created.messageId].sort());
  });
});

describeRouteSecurity('messages');
