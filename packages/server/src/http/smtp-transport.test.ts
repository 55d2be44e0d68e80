import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailDeliveryError } from '../core/email/mail-transport.js';
import { PUBLIC_ONLY } from '../core/operations/network-destinations.js';
import { type SmtpTestServer, startSmtpTestServer } from '../test-support/smtp-test-server.js';
import { smtpMailTransport } from './smtp-transport.js';

const mail = {
  from: { name: 'Acme', address: 'sales@acme.test' },
  replyTo: null,
  to: 'c@customer.test',
  subject: 'Hello',
  text: 'text',
  html: '<p>html</p>',
};

describe('the SMTP transport', () => {
  let smtp: SmtpTestServer;
  beforeAll(async () => {
    smtp = await startSmtpTestServer({ auth: { user: 'acme', pass: 'pa55word' } });
  });
  afterAll(() => smtp.stop());
  const connection = (changes = {}) => ({
    host: smtp.host,
    port: smtp.port,
    security: 'none' as const,
    username: 'acme',
    password: 'pa55word',
    ...changes,
  });

  it('signs in and hands the message over', async () => {
    await smtpMailTransport({ allowPrivate: 'all' }).send(connection(), mail, 5000);
    const [arrived] = await smtp.waitForMessages(1);
    expect(arrived?.envelope).toEqual({ from: 'sales@acme.test', to: ['c@customer.test'], user: 'acme' });
    expect(arrived?.parsed.subject).toBe('Hello');
    // `none` is plain text: the test server's record of encryption says so.
    expect(arrived?.secure).toBe(false);
  });

  it("reports a refused sign-in with the server's words, as permanent", async () => {
    const failure = await smtpMailTransport({ allowPrivate: 'all' })
      .send(connection({ password: 'wrong' }), mail, 5000)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailDeliveryError);
    expect((failure as MailDeliveryError).message).toContain('Authentication credentials invalid');
    expect((failure as MailDeliveryError).isPermanent).toBe(true);
  });

  it('does not send in plain text when STARTTLS is required and the server offers none', async () => {
    const before = (await smtp.messages()).length;
    const failure = await smtpMailTransport({ allowPrivate: 'all' })
      .send(connection({ security: 'starttls' }), mail, 5000)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailDeliveryError);
    expect(await smtp.messages()).toHaveLength(before);
  });

  it('refuses a server whose certificate it cannot verify, sending nothing', async () => {
    const untrusted = await startSmtpTestServer({ starttls: true });
    try {
      const failure = await smtpMailTransport({ allowPrivate: 'all' })
        .send(connection({ port: untrusted.port, security: 'starttls', username: null }), mail, 5000)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MailDeliveryError);
      expect((failure as MailDeliveryError).message).toMatch(/certificate/i);
      expect(await untrusted.messages()).toHaveLength(0);
    } finally {
      await untrusted.stop();
    }
  });

  it.each([
    ['a loopback address', '127.0.0.1', async () => [{ address: '127.0.0.1' }]],
    ['a name resolving to a private address', 'smtp.internal.test', async () => [{ address: '10.0.0.5' }]],
  ])('refuses %s unless the operator allows it, connecting nowhere', async (_name, host, resolve) => {
    const before = (await smtp.messages()).length;
    const failure = await smtpMailTransport(PUBLIC_ONLY, { resolve })
      .send(connection({ host }), mail, 5000)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailDeliveryError);
    expect((failure as MailDeliveryError).message).toMatch(
      /^refused: (127.0.0.1 is a loopback|smtp.internal.test resolves to 10.0.0.5 is a private)/,
    );
    expect(await smtp.messages()).toHaveLength(before);
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const started = Date.now();
    // A port that takes connections and never greets: a TCP server that says nothing.
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const port = (silent.address() as { port: number }).port;
    try {
      const failure = await smtpMailTransport({ allowPrivate: 'all' })
        .send(connection({ port, username: null }), mail, 500)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MailDeliveryError);
      expect((failure as MailDeliveryError).isPermanent).toBe(false);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });
});
