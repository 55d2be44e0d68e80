import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PUBLIC_ONLY } from '../core/operations/network-destinations.js';
import { createOutboundHttp, OutboundError, type Resolver } from './outbound-http.js';

/**
 * A real receiver listens on loopback (on every address of 127/8 and on ::1 where the machine has it), so a
 * request that got through the rules would reach it: each refusal is checked against what it received.
 */

let server: Server;
let port: number;
let hasIpv6Loopback = true;
const received: string[] = [];
let answer: { status: number; headers?: Record<string, string>; body: string } = { status: 200, body: 'ok' };

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(`${request.method} ${request.url}`);
    request.resume();
    response.writeHead(answer.status, answer.headers ?? {}).end(answer.body);
  });
  server.listen(0, '::');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  hasIpv6Loopback = await fetch(`http://[::1]:${port}/probe`).then(
    () => true,
    () => false,
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

beforeEach(() => {
  received.length = 0;
  answer = { status: 200, body: 'ok' };
});

const post = { method: 'POST' as const, body: '{}', timeoutMs: 2000, maxResponseBytes: 1024 };

async function failureOf(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundError);
  return error as OutboundError;
}

/** A resolver that answers these names with these addresses (a name that rebinds to loopback). */
const resolverOf =
  (names: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const addresses = names[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('outbound HTTP', () => {
  const spellings = [
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '127.1',
    '0177.0.0.1',
    '127.0.0.2',
    '0.0.0.0',
    '0',
    '[::ffff:127.0.0.1]',
    '[::1]',
    '[::]',
  ];

  it.each(spellings)(
    'refuses %s at connect time, and reaches it once the operator allows it',
    async (host) => {
      const url = `http://${host}:${port}/hook`;
      const refusal = await failureOf(createOutboundHttp(PUBLIC_ONLY).request(url, post));
      expect(refusal.failure).toBe('FORBIDDEN_DESTINATION');
      expect(received).toEqual([]);
      if (!hasIpv6Loopback && host.startsWith('[::')) return;
      const allowed = await createOutboundHttp({ allowPrivate: 'all' }).request(url, post);
      expect(allowed.statusCode).toBe(200);
      expect(received).toEqual(['POST /hook']);
    },
  );

  it('refuses link-local and private addresses without connecting', async () => {
    for (const host of ['169.254.169.254', '[fe80::1]', '10.0.0.1', '[fd00::1]', '100.64.0.1', '224.0.0.1']) {
      const refusal = await failureOf(
        createOutboundHttp(PUBLIC_ONLY).request(`http://${host}:${port}/`, { ...post, timeoutMs: 200 }),
      );
      expect(refusal.failure).toBe('FORBIDDEN_DESTINATION');
    }
  });

  it('checks the address a name resolves to when connecting (localhost, and a name rebound to loopback)', async () => {
    const system = await failureOf(
      createOutboundHttp(PUBLIC_ONLY).request(`http://localhost:${port}/`, post),
    );
    expect(system.failure).toBe('FORBIDDEN_DESTINATION');
    expect(system.message).toMatch(/localhost resolves to .*loopback/);

    // The name looked public when the webhook was saved; now it resolves to loopback (DNS rebinding).
    const rebound = createOutboundHttp(PUBLIC_ONLY, {
      resolve: resolverOf({ 'hooks.example.test': ['127.0.0.1'] }),
    });
    const refusal = await failureOf(rebound.request(`http://hooks.example.test:${port}/hook`, post));
    expect(refusal.failure).toBe('FORBIDDEN_DESTINATION');
    expect(refusal.message).toContain('127.0.0.1 is a loopback address');
    // A name with one public and one internal address is only ever connected to the public one; with no
    // public address left, nothing is connected to.
    const mixed = createOutboundHttp(PUBLIC_ONLY, {
      resolve: resolverOf({ 'mixed.example.test': ['::ffff:127.0.0.1', '169.254.169.254'] }),
    });
    expect((await failureOf(mixed.request(`http://mixed.example.test:${port}/`, post))).failure).toBe(
      'FORBIDDEN_DESTINATION',
    );
    expect(received).toEqual([]);

    const allowed = createOutboundHttp(
      { allowPrivate: 'all' },
      { resolve: resolverOf({ 'hooks.example.test': ['127.0.0.1'] }) },
    );
    expect((await allowed.request(`http://hooks.example.test:${port}/hook`, post)).statusCode).toBe(200);
    expect(received).toEqual(['POST /hook']);
  });

  it('does not follow redirects, reads a capped answer and reports timeouts', async () => {
    const http = createOutboundHttp({ allowPrivate: 'all' });
    answer = { status: 302, headers: { location: 'http://169.254.169.254/' }, body: '' };
    expect((await http.request(`http://127.0.0.1:${port}/`, post)).statusCode).toBe(302);
    expect(received).toHaveLength(1);

    answer = { status: 200, body: 'x'.repeat(100_000) };
    const big = await http.request(`http://127.0.0.1:${port}/`, { ...post, maxResponseBytes: 100 });
    expect(big).toMatchObject({ statusCode: 200, isTruncated: true });
    expect(big.body).toHaveLength(100);

    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const slow = await failureOf(
        http.request(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, {
          ...post,
          timeoutMs: 200,
        }),
      );
      expect(slow).toMatchObject({ failure: 'TIMEOUT', message: 'no answer within 200 ms' });
    } finally {
      silent.closeAllConnections();
      await new Promise((done) => silent.close(done));
    }
    const refused = await failureOf(http.request('ftp://127.0.0.1/', post));
    expect(refused.failure).toBe('INVALID_URL');
  });
});
