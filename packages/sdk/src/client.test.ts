import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeywardClient } from './client.js';
import { ApiError, NetworkError, VerificationError } from './errors.js';
import { createFakeServer, signAsServer } from './test-support/fake-server.js';

const client = (server: ReturnType<typeof createFakeServer>, fetchFn: typeof fetch = server.fetch) =>
  new KeywardClient({
    url: 'https://licensing.test/',
    publicKey: server.publicKeyPem,
    fetch: fetchFn,
    retryDelayMs: 1,
  });

describe('KeywardClient', () => {
  it('validates with the key in the body and a fresh nonce, and verifies the signed answer', async () => {
    const server = createFakeServer();
    const c = client(server);
    const first = await c.validate('KEY-1');
    expect(first).toMatchObject({ valid: true, code: 'VALID', license: { key: 'KEY-1' } });
    await c.validate('KEY-1', { productId: 3 });
    const [a, b] = server.calls as [(typeof server.calls)[0], (typeof server.calls)[0]];
    expect(a).toMatchObject({
      method: 'POST',
      path: '/v1/licenses/actions/validate-key',
      body: { key: 'KEY-1' },
    });
    expect(a.headers.authorization).toBeUndefined();
    expect((a.body as { nonce: string }).nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((a.body as { nonce: string }).nonce).not.toBe((b.body as { nonce: string }).nonce);
    expect(b.body).toMatchObject({ productId: 3 });
  });

  it('rejects an answer whose body was changed, one signed by another key, and an unsigned one', async () => {
    const server = createFakeServer();
    const attacker = generateKeyPairSync('ed25519');
    const variants: ((r: Response, text: string) => Response)[] = [
      (r, text) => new Response(text.replace('"valid":true', '"valid":false'), { headers: r.headers }),
      (_r, text) =>
        new Response(text, {
          headers: {
            'keyward-signature': `ed25519=${sign(null, Buffer.from(text), attacker.privateKey).toString('base64')}`,
          },
        }),
      (_r, text) => new Response(text),
    ];
    for (const variant of variants) {
      const tampering = (async (input: RequestInfo | URL, init?: RequestInit) => {
        const genuine = await server.fetch(input, init);
        return variant(genuine, await genuine.text());
      }) as typeof fetch;
      const error = await client(server, tampering)
        .validate('KEY-1')
        .catch((e) => e);
      expect(error).toBeInstanceOf(VerificationError);
      expect(error.code).toBe('SIGNATURE_INVALID');
    }
  });

  it('rejects a genuine answer to another request (a replay)', async () => {
    const server = createFakeServer();
    let recorded: { text: string; signature: string } | null = null;
    const replaying = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const genuine = await server.fetch(input, init);
      recorded ??= { text: await genuine.text(), signature: genuine.headers.get('keyward-signature') ?? '' };
      return new Response(recorded.text, { headers: { 'keyward-signature': recorded.signature } });
    }) as typeof fetch;
    const c = client(server, replaying);
    await expect(c.validate('KEY-1')).resolves.toMatchObject({ valid: true });
    await expect(c.validate('KEY-1')).rejects.toMatchObject({ code: 'NONCE_MISMATCH' });
  });

  it('rejects a genuine answer about another key, machine, product or feature list (a rewritten request)', async () => {
    const server = createFakeServer();
    await server.fetch('https://licensing.test/v1/machines', {
      method: 'POST',
      body: JSON.stringify({ fingerprint: 'pc-other' }),
    });
    // The proxy cannot sign, so it rewrites what is asked and lets the server sign the answer.
    const rewriting = (rewrite: (body: Record<string, unknown>) => Record<string, unknown>) =>
      (async (input: RequestInfo | URL, init?: RequestInit) =>
        server.fetch(input, {
          ...init,
          body: JSON.stringify(rewrite(JSON.parse(String(init?.body)))),
        })) as typeof fetch;
    const cases: [string, (b: Record<string, unknown>) => Record<string, unknown>, object][] = [
      ['key', (b) => ({ ...b, key: 'KEY-OTHER' }), {}],
      ['fingerprint', (b) => ({ ...b, fingerprint: 'pc-other' }), { fingerprint: 'pc-mine' }],
      ['productId', ({ productId: _, ...b }) => b, { productId: 3 }],
      ['features', ({ features: _, ...b }) => b, { features: ['pro'] }],
    ];
    for (const [field, rewrite, scope] of cases) {
      const error = await client(server, rewriting(rewrite))
        .validate('KEY-1', scope)
        .catch((e) => e);
      expect(error, field).toBeInstanceOf(VerificationError);
      expect(error, field).toMatchObject({ code: 'ANSWER_MISMATCH' });
      expect(error.message, field).toContain(field);
    }
    // An answer without the echo (an older server, or a body cut down) says nothing about the request.
    const bare = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const genuine = await server.fetch(input, init);
      const { request: _, ...body } = JSON.parse(await genuine.text());
      const text = JSON.stringify(body);
      return new Response(text, {
        headers: { 'keyward-signature': `ed25519=${signAsServer(server.privateKey, text)}` },
      });
    }) as typeof fetch;
    await expect(client(server, bare).validate('KEY-1')).rejects.toMatchObject({ code: 'ANSWER_MISMATCH' });
  });

  it('rejects an answer whose server time is far from this clock', async () => {
    const server = createFakeServer();
    const at = (now: Date, maxClockSkewSeconds?: number) =>
      new KeywardClient({
        url: 'https://x',
        publicKey: server.publicKeyPem,
        fetch: server.fetch,
        now: () => now,
        ...(maxClockSkewSeconds === undefined ? {} : { maxClockSkewSeconds }),
      });
    server.behaviour.now = () => new Date('2030-01-10T00:00:00Z');
    await expect(at(new Date('2030-01-10T10:00:00Z')).validate('K')).resolves.toMatchObject({ valid: true });
    await expect(at(new Date('2030-01-12T00:00:00Z')).validate('K')).rejects.toMatchObject({
      code: 'CLOCK_SKEW',
    });
    await expect(at(new Date('2030-01-08T00:00:00Z')).validate('K')).rejects.toMatchObject({
      code: 'CLOCK_SKEW',
    });
    await expect(at(new Date('2030-01-10T00:10:00Z'), 300).validate('K')).rejects.toMatchObject({
      code: 'CLOCK_SKEW',
    });
    await expect(at(new Date('2031-01-01T00:00:00Z'), 0).validate('K')).resolves.toMatchObject({
      valid: true,
    });
  });

  it('never retries a 4xx answer and reports the server code', async () => {
    const server = createFakeServer();
    server.behaviour.failWith = { status: 422, code: 'MACHINE_LIMIT_REACHED' };
    const error = await client(server)
      .activate('KEY-1', 'pc')
      .catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'MACHINE_LIMIT_REACHED', status: 422, requestId: 'req-1' });
    expect(server.calls).toHaveLength(1);
  });

  it('retries network errors and 5xx answers, then gives up with the right error', async () => {
    const server = createFakeServer();
    server.behaviour.offline = true;
    await expect(client(server).validate('KEY-1')).rejects.toBeInstanceOf(NetworkError);
    expect(server.calls).toHaveLength(3);

    const flaky = createFakeServer();
    let failures = 2;
    const recovering = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (failures-- > 0) return new Response('bad gateway', { status: 502 });
      return flaky.fetch(input, init);
    }) as typeof fetch;
    await expect(client(flaky, recovering).validate('KEY-1')).resolves.toMatchObject({ valid: true });

    server.behaviour.offline = false;
    server.behaviour.failWith = { status: 503, code: 'UNAVAILABLE' };
    const error = await client(server)
      .validate('KEY-1')
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(server.calls).toHaveLength(6);
  });

  it('sends the key as credential and an idempotency key on activation', async () => {
    const server = createFakeServer();
    const machine = await client(server).activate('KEY-1', 'pc-1', { name: 'Desk' });
    expect(machine).toMatchObject({ id: 1, fingerprint: 'pc-1' });
    expect(server.calls[0]?.headers).toMatchObject({ authorization: 'License KEY-1' });
    expect(server.calls[0]?.headers['idempotency-key']).toMatch(/^activate-/);
    expect(server.calls[0]?.body).toEqual({ fingerprint: 'pc-1', name: 'Desk' });
  });

  it('times out a hanging server as a network error', async () => {
    const server = createFakeServer();
    const hanging = ((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      })) as typeof fetch;
    const c = new KeywardClient({
      url: 'https://x',
      publicKey: server.publicKeyPem,
      fetch: hanging,
      timeoutMs: 20,
      retries: 0,
    });
    await expect(c.validate('KEY-1')).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });

  it('accepts the public key as PEM, base64 DER or raw base64, and refuses other keys', async () => {
    const server = createFakeServer();
    const { createPublicKey } = await import('node:crypto');
    const der = createPublicKey(server.publicKeyPem).export({ type: 'spki', format: 'der' });
    for (const publicKey of [der.toString('base64'), der.subarray(12).toString('base64')]) {
      const c = new KeywardClient({ url: 'https://x', publicKey, fetch: server.fetch });
      await expect(c.validate('K')).resolves.toMatchObject({ valid: true });
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(
      () => new KeywardClient({ url: 'https://x', publicKey: rsa.toString(), fetch: server.fetch }),
    ).toThrow(/not an Ed25519 key/);
  });
});
