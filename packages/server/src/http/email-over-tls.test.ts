import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  request,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../test-support/server-process.js';
import { type SmtpTestServer, startSmtpTestServer } from '../test-support/smtp-test-server.js';
import {
  createTestCertificateAuthority,
  type TestCertificateAuthority,
} from '../test-support/test-certificate-authority.js';

/**
 * Email over STARTTLS and implicit TLS, end to end: a real `keyward serve` process sends through real SMTP
 * servers whose certificates a private CA signed, trusted the way an operator trusts one, with
 * NODE_EXTRA_CA_CERTS. The SMTP servers record whether each message came over an encrypted session.
 */

const AUTH = { user: 'acme', pass: 'pa55word' };
/** The name the certificates are issued for; it resolves to the loopback address the SMTP servers listen on. */
const HOST = 'localhost';

async function startKeyward(dir: string, name: string, env: Record<string, string>): Promise<ServerProcess> {
  const [port] = (await freePorts(1)) as [number];
  const server = startServerProcess({
    port,
    databaseUrl: join(dir, `${name}.sqlite`),
    // The SMTP servers listen on loopback, which the operator has to allow.
    env: { KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true', ...env },
  });
  await waitUntilReady(server);
  return server;
}

/** Points the server's email settings at this SMTP server and sends a test email to `to`. */
async function sendTest(
  server: ServerProcess,
  smtp: SmtpTestServer,
  security: 'starttls' | 'tls',
  to: string,
): Promise<{ isSent: boolean; error: string | null }> {
  const saved = await request(server.url, 'PUT', '/v1/email/settings', {
    json: {
      host: HOST,
      port: smtp.port,
      security,
      username: AUTH.user,
      password: AUTH.pass,
      fromName: 'Acme Software',
      fromAddress: 'sales@acme.test',
    },
  });
  expect(saved.status, saved.text).toBe(200);
  const sent = await request(server.url, 'POST', '/v1/email/test', { json: { to } });
  expect(sent.status, sent.text).toBe(200);
  return sent.body as unknown as { isSent: boolean; error: string | null };
}

describe('email over TLS from a keyward serve process', () => {
  let dir: string;
  let ca: TestCertificateAuthority;
  let trusting: ServerProcess;
  let untrusting: ServerProcess;
  let starttls: SmtpTestServer;
  let implicit: SmtpTestServer;
  let otherName: SmtpTestServer;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'keyward-email-tls-'));
    ca = createTestCertificateAuthority();
    const certificate = ca.issue(HOST);
    [starttls, implicit, otherName] = await Promise.all([
      startSmtpTestServer({ auth: AUTH, tls: { mode: 'starttls', ...certificate } }),
      startSmtpTestServer({ auth: AUTH, tls: { mode: 'implicit', ...certificate } }),
      startSmtpTestServer({ auth: AUTH, tls: { mode: 'implicit', ...ca.issue('smtp.other.test') } }),
    ]);
    [trusting, untrusting] = await Promise.all([
      startKeyward(dir, 'trusting', { NODE_EXTRA_CA_CERTS: ca.caFile }),
      startKeyward(dir, 'untrusting', {}),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([trusting?.kill('SIGTERM'), untrusting?.kill('SIGTERM')]);
    await Promise.all([starttls?.stop(), implicit?.stop(), otherName?.stop()]);
    ca?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it.each([
    ['STARTTLS', 'starttls', () => starttls],
    ['TLS from the first byte', 'tls', () => implicit],
  ] as const)('delivers a test email over %s, signed in, encrypted', async (_name, security, smtp) => {
    const to = `${security}@customer.test`;
    expect(await sendTest(trusting, smtp(), security, to)).toEqual({ isSent: true, error: null });
    const [arrived] = await smtp().waitForMessages(1);
    expect(arrived?.envelope).toEqual({ from: 'sales@acme.test', to: [to], user: AUTH.user });
    expect(arrived?.secure).toBe(true);
    expect(arrived?.parsed.to).toMatchObject({ text: to });
  });

  it('refuses a certificate for another host name, even one the trusted CA signed', async () => {
    const answer = await sendTest(trusting, otherName, 'tls', 'other@customer.test');
    expect(answer.isSent).toBe(false);
    expect(answer.error).toMatch(/does not match certificate's altnames/);
    expect(await otherName.messages()).toHaveLength(0);
  });

  it('refuses the same servers without NODE_EXTRA_CA_CERTS: the trust comes from the operator', async () => {
    for (const [security, smtp] of [
      ['starttls', starttls],
      ['tls', implicit],
    ] as const) {
      const before = (await smtp.messages()).length;
      const answer = await sendTest(untrusting, smtp, security, 'untrusted@customer.test');
      expect(answer.isSent).toBe(false);
      expect(answer.error).toMatch(/certificate/i);
      expect(await smtp.messages()).toHaveLength(before);
    }
  });
});
