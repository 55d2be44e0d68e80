import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFailedRequests, hasChromium, launchChromium } from '../test-support/browser.js';
import { type AdminApi, type ServedKeyward, startServedKeyward } from '../test-support/served-keyward.js';
import { type SmtpTestServer, startSmtpTestServer } from '../test-support/smtp-test-server.js';
import { type StripeApiServer, startStripeApiServer } from '../test-support/stripe-api-server.js';
import { createPostgresSchemaUrl, postgresAvailable } from '../test-support/test-store.js';

/**
 * The whole selling loop on a real server process, as a vendor sets it up and as its customers live it: the
 * walkthrough of docs/commerce.md run as written (catalog, SMTP, a Stripe connection, its signing secret, the
 * portal), then payment providers' webhooks signed as each provider signs them — Stripe's by Stripe's own
 * library (`generateTestHeaderString`); Paddle's and Lemon Squeezy's by their documented schemes, since their
 * libraries only verify — delivered over HTTP, the emails read back from a real SMTP server process, and the
 * customer portal opened in Chromium from the sign-in link of a delivered email, under a host name that is not
 * localhost over plain HTTP. On SQLite and on PostgreSQL.
 */

const execFileAsync = promisify(execFile);
const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURES = join(import.meta.dirname, 'payments', 'fixtures');
const ADMIN_TOKEN = 'kw_commerce_journey_admin_token_0123456789';
const SECRET = 'commerce-journey-test-secret-0123456789abcdef';
const HOST_NAME = 'shop.keyward.test';
const SMTP_USER = 'keyward';
const SMTP_PASSWORD = 'smtp password of the journey';
const STRIPE_API_KEY = 'rk_test_51Kx8pQ2mN4vRestrictedKeyForKeyward';
const STRIPE_WEBHOOK_SECRET = 'whsec_journey_5d0c3f2a9b8e7d6c5b4a39281706f5e4';
const STRIPE_PRICE = 'price_1SZpzQKx8pQ2mN4vProMonth';
const PADDLE_SECRET = 'pdl_ntfset_journey_secret_0123456789';
const LEMON_SECRET = 'lemon-journey-signing-secret';
const BUYERS = {
  stripe: 'stripe-buyer@example.com',
  paddle: 'paddle-buyer@example.com',
  lemonsqueezy: 'lemon-buyer@example.com',
} as const;
/** The period end Stripe's subscription names at checkout (its items' current_period_end), and after renewal. */
const FIRST_PERIOD_END = '2026-12-30T10:15:00.000Z';
const RENEWED_PERIOD_END = '2027-01-30T10:15:00.000Z';

const COMMERCE_DOC = readFileSync(join(REPO_DIR, 'docs/commerce.md'), 'utf8');

/** The code of the fenced block right after `<!-- guide: NAME -->` in docs/commerce.md. */
function guideBlock(name: string): string {
  const marker = `<!-- guide: ${name} -->\n`;
  const at = COMMERCE_DOC.indexOf(marker);
  const fenced = at < 0 ? null : /^```\w*\n([\s\S]*?)\n```\n/.exec(COMMERCE_DOC.slice(at + marker.length));
  if (!fenced?.[1]) throw new Error(`docs/commerce.md has no code block after ${marker.trim()}`);
  return fenced[1];
}

/** A fixture as the provider sends it, with the buyer's address made this provider's own. */
function fixture(path: string, buyer: string, change: (event: Record<string, unknown>) => void = () => {}) {
  const event = JSON.parse(readFileSync(join(FIXTURES, path), 'utf8').replaceAll('ada@buyer.example', buyer));
  change(event);
  return JSON.stringify(event);
}

const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const nowSeconds = () => Math.floor(Date.now() / 1000);

const dialects = (await postgresAvailable()) ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.skipIf(!hasChromium).each(dialects)('selling, delivering, self-serving (%s)', (dialect) => {
  let dropSchema: (() => Promise<void>) | null = null;
  let smtp: SmtpTestServer;
  let stripeApi: StripeApiServer;
  let served: ServedKeyward;
  let base: string;
  let apiBase: string;
  let browser: Browser;
  let stripeLicenseId: number;
  let stripeKey: string;
  const connections = { stripe: 1, paddle: 0, lemonsqueezy: 0 };

  const api: AdminApi = (method, path, body) => served.api(method, path, body);

  /** POSTs a webhook as the provider does; answers its status and body. */
  const deliver = async (connectionId: number, body: string, headers: Record<string, string>) => {
    const response = await fetch(`${apiBase}/payments/webhooks/${connectionId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, body: await response.json() };
  };
  const stripeSignature = (payload: string, timestamp = nowSeconds(), secret = STRIPE_WEBHOOK_SECRET) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  const fromStripe = (payload: string, signature = stripeSignature(payload)) =>
    deliver(connections.stripe, payload, { 'stripe-signature': signature });
  const fromPaddle = (payload: string) => {
    const ts = nowSeconds();
    return deliver(connections.paddle, payload, {
      'paddle-signature': `ts=${ts};h1=${hmacHex(PADDLE_SECRET, `${ts}:${payload}`)}`,
    });
  };
  const fromLemonSqueezy = (payload: string) =>
    deliver(connections.lemonsqueezy, payload, {
      'x-signature': hmacHex(LEMON_SECRET, payload),
      'x-event-name': (JSON.parse(payload) as { meta: { event_name: string } }).meta.event_name,
    });

  const eventsOf = async (connectionId: number) =>
    (await api('GET', `/payment-connections/${connectionId}/events`)).data as Array<{
      providerEventType: string;
      status: string;
      outcome: string | null;
      licenseIds: number[];
    }>;
  const licensesOf = async (email: string) =>
    (await api('GET', `/licenses?email=${encodeURIComponent(email)}`)).data as Array<{
      id: number;
      key: string;
      policyId: number;
      status: string;
      expiresAt: string | null;
      overrides: { maxMachines: number | null };
    }>;
  /** Messages the SMTP server took for `to`, waiting until there are `count`. */
  const mailTo = async (to: string, count: number) => {
    for (let i = 0; i < 200; i++) {
      const messages = (await smtp.messages()).filter((m) => m.envelope.to.includes(to));
      if (messages.length >= count) return messages;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`fewer than ${count} messages reached ${to}:\n${served.output()}`);
  };

  /** Runs a block of the walkthrough as a reader would paste it, with the reader's values set. */
  const walkthrough = async (name: string) => {
    const { stdout, stderr } = await execFileAsync('bash', ['-euo', 'pipefail', '-c', guideBlock(name)], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        URL: apiBase,
        TOKEN: ADMIN_TOKEN,
        SMTP_HOST: smtp.host,
        SMTP_PORT: String(smtp.port),
        SMTP_SECURITY: 'none',
        SMTP_USER,
        SMTP_PASSWORD,
        SELLER: 'sales@photon.example',
        ME: 'vendor@photon.example',
        STRIPE_API_KEY,
        STRIPE_PRICE,
        STRIPE_WEBHOOK_SECRET,
      },
      timeout: 30_000,
    });
    expect(stdout).not.toContain('"error":{');
    return `${stdout}${stderr}`;
  };

  beforeAll(async () => {
    smtp = await startSmtpTestServer({ auth: { user: SMTP_USER, pass: SMTP_PASSWORD } });
    const stripeFixture = (name: string) => join(FIXTURES, 'stripe', 'api', name);
    stripeApi = await startStripeApiServer(STRIPE_API_KEY, {
      '/v1/checkout/sessions/cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdEF/line_items':
        stripeFixture('line-items-subscription.json'),
      '/v1/subscriptions/sub_1SZq3JKx8pQ2mN4vWxYz1234': stripeFixture('subscription.json'),
      '/v1/invoice_payments': stripeFixture('invoice-payments-subscription.json'),
      '/v1/invoices/in_1Sk2vNKx8pQ2mN4vCyCl0001/lines': stripeFixture('invoice-lines-cycle.json'),
    });
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      const schema = await createPostgresSchemaUrl();
      databaseUrl = schema.url;
      dropSchema = schema.drop;
    }
    served = await startServedKeyward({
      dirPrefix: 'keyward-commerce-journey-',
      adminToken: ADMIN_TOKEN,
      hostName: HOST_NAME,
      databaseUrl,
      env: (url) => ({
        KEYWARD_SECRET: SECRET,
        KEYWARD_PUBLIC_URL: url,
        // The SMTP server and Stripe's stand-in answer on loopback.
        KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true',
        KEYWARD_STRIPE_API_URL: stripeApi.url.origin,
      }),
    });
    ({ base, apiBase } = served);
    browser = await launchChromium(HOST_NAME);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await stripeApi?.close();
    await smtp?.stop();
    await dropSchema?.();
  });

  it('sets up as docs/commerce.md walks a vendor through it, a test email arriving', async () => {
    expect(await walkthrough('commerce-catalog')).toContain('"name":"Pro"');
    expect(await walkthrough('commerce-email')).toContain('{"isSent":true,"error":null}');
    const [test] = await mailTo('vendor@photon.example', 1);
    expect(test?.envelope.user).toBe(SMTP_USER);
    expect(test?.parsed.from?.text).toContain('sales@photon.example');
    const connected = await walkthrough('commerce-connect');
    expect(connected).toContain('"webhookPath":"/payments/webhooks/1"');
    expect(connected).toContain('"webhookSecretHint":null');
    expect(connected).not.toContain(STRIPE_API_KEY);
    // Stripe delivers before the vendor pasted the signing secret: refused for now, retried by Stripe.
    const early = fixture('stripe/checkout-session-completed-subscription.json', BUYERS.stripe);
    expect((await fromStripe(early)).status).toBe(503);
    expect(await eventsOf(connections.stripe)).toEqual([]);
    expect(await walkthrough('commerce-secret')).not.toContain(STRIPE_WEBHOOK_SECRET);
    expect(await walkthrough('commerce-portal')).toContain(`"publicUrl":"${base}"`);
  });

  it('refuses a forged or stale Stripe signature and keeps nothing of it', async () => {
    const payload = fixture('stripe/checkout-session-completed-subscription.json', BUYERS.stripe);
    const forged = await fromStripe(payload, stripeSignature(payload, nowSeconds(), 'whsec_not_the_secret'));
    expect(forged).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
    const stale = await fromStripe(payload, stripeSignature(payload, nowSeconds() - 400));
    expect(stale).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
    const tampered = payload.replace(BUYERS.stripe, 'mallory@example.com');
    expect((await fromStripe(tampered, stripeSignature(payload))).status).toBe(400);
    expect(await eventsOf(connections.stripe)).toEqual([]);
    expect(await licensesOf(BUYERS.stripe)).toEqual([]);
  });

  it('turns a Stripe checkout into one license with the mapped policy and seats, emailed to the buyer', async () => {
    const payload = fixture('stripe/checkout-session-completed-subscription.json', BUYERS.stripe);
    expect(await fromStripe(payload)).toEqual({ status: 200, body: { received: true } });
    // The same event again (Stripe retries when an answer is lost): one license still.
    expect(await fromStripe(payload)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    const [license, ...more] = await licensesOf(BUYERS.stripe);
    expect(more).toEqual([]);
    expect(license).toMatchObject({ policyId: 1, status: 'active', expiresAt: FIRST_PERIOD_END });
    // Stripe's line items: 1 seat of the price, mapped at 1 machine per seat.
    expect(license?.overrides.maxMachines).toBe(1);
    stripeLicenseId = license?.id as number;
    stripeKey = license?.key as string;
    const [delivered, ...others] = await mailTo(BUYERS.stripe, 1);
    expect(others).toEqual([]);
    expect(delivered?.parsed.text).toContain(stripeKey);
    expect(delivered?.parsed.html || '').toContain(stripeKey);
    expect(delivered?.parsed.from?.text).toContain('sales@photon.example');
    // The portal is on: the email says where the buyer manages the license.
    expect(delivered?.parsed.text).toContain(`Manage your license and your computers: ${base}/portal/`);
    const [event] = await eventsOf(connections.stripe);
    expect(event).toMatchObject({
      providerEventType: 'checkout.session.completed',
      status: 'applied',
      licenseIds: [stripeLicenseId],
    });
    expect(await walkthrough('commerce-events')).toContain('"status":"applied"');
  });

  it('signs the customer in from the emailed link; in Chromium they free their seat for a new computer', async () => {
    const activate = (name: string) =>
      fetch(`${apiBase}/v1/machines`, {
        method: 'POST',
        headers: { authorization: `License ${stripeKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ fingerprint: `fp-${name}`, name }),
      });
    expect((await activate('Old laptop')).status).toBe(201);
    // One seat bought, and it is taken.
    expect((await activate('New laptop')).status).toBe(422);
    const page = await (await browser.newContext()).newPage();
    const pageErrors: string[] = [];
    const failedRequests: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    collectFailedRequests(page, failedRequests);
    await page.goto(`${base}/portal/`);
    await page.getByText('Photon Software').first().waitFor();
    await page.getByLabel('Email address').fill(BUYERS.stripe);
    await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const [, signInMail] = await mailTo(BUYERS.stripe, 2);
    const link = /https?:\/\/\S+\/portal\/sign-in#\S+/.exec(signInMail?.parsed.text ?? '')?.[0];
    expect(link?.startsWith(`${base}/portal/sign-in#`)).toBe(true);
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Your licenses' }).waitFor();
    await page.getByText(stripeKey).waitFor();
    // Which purchase the license came from.
    await page.getByText(/through Stripe, order cs_test_a1B2c3D4e5F6/).waitFor();
    await page.getByRole('button', { name: 'Deactivate Old laptop' }).click();
    await page.getByText('Old laptop was deactivated.').waitFor();
    // The seat is free for the new computer.
    expect((await activate('New laptop')).status).toBe(201);
    const machines = await api('GET', `/machines?licenseId=${stripeLicenseId}`);
    expect(machines.data.map((m: { name: string }) => m.name)).toEqual(['New laptop']);
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });

  it('extends the license on renewal, ends it at the period end on cancellation, suspends it on refund', async () => {
    const renewal = fixture('stripe/invoice-paid-subscription-cycle.json', BUYERS.stripe);
    expect((await fromStripe(renewal)).status).toBe(200);
    expect((await licensesOf(BUYERS.stripe))[0]?.expiresAt).toBe(RENEWED_PERIOD_END);
    await mailTo(BUYERS.stripe, 3);

    // Cancelled at the end of the renewed period, after the renewal.
    const renewedEnd = Date.parse(RENEWED_PERIOD_END) / 1000;
    const cancellation = fixture(
      'stripe/customer-subscription-updated-cancel-at-period-end.json',
      BUYERS.stripe,
      (event) => {
        event.created = renewedEnd - 10 * 86_400;
      },
    ).replaceAll('1798625700', String(renewedEnd));
    expect((await fromStripe(cancellation)).status).toBe(200);
    const [canceled] = await eventsOf(connections.stripe);
    expect(canceled).toMatchObject({ providerEventType: 'customer.subscription.updated', status: 'applied' });
    expect(canceled?.outcome).toContain(`run to ${RENEWED_PERIOD_END}, then expire`);
    const [license] = await licensesOf(BUYERS.stripe);
    expect(license).toMatchObject({ status: 'active', expiresAt: RENEWED_PERIOD_END });

    const refund = fixture('stripe/charge-refunded.json', BUYERS.stripe);
    expect((await fromStripe(refund)).status).toBe(200);
    expect((await licensesOf(BUYERS.stripe))[0]?.status).toBe('suspended');
  });

  it('turns a Paddle transaction into a license, delivered once Paddle names the buyer', async () => {
    const pro = await api('GET', '/policies/1');
    const connection = await api('POST', '/payment-connections', {
      provider: 'paddle',
      name: 'Paddle',
      webhookSecret: PADDLE_SECRET,
      mappings: [{ providerItemId: 'pri_01jd2k8vz3m4n5p6q7r8s9t0ab', policyId: pro.id, seatsPerUnit: 1 }],
    });
    connections.paddle = connection.id;
    const transaction = fixture('paddle/transaction-completed-web.json', BUYERS.paddle);
    expect(await fromPaddle(transaction)).toEqual({ status: 200, body: { received: true } });
    expect(await fromPaddle(transaction)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    const [event] = await eventsOf(connection.id);
    expect(event?.licenseIds).toHaveLength(1);
    const license = await api('GET', `/licenses/${event?.licenseIds[0]}`);
    // Two seats bought.
    expect(license).toMatchObject({ policyId: pro.id, email: null, overrides: { maxMachines: 2 } });
    expect((await fromPaddle(fixture('paddle/customer-created.json', BUYERS.paddle))).status).toBe(200);
    const [mail] = await mailTo(BUYERS.paddle, 1);
    expect(mail?.parsed.text).toContain(license.key);
  });

  it('turns a Lemon Squeezy order into a license emailed to the buyer, and refuses a forged one', async () => {
    const connection = await api('POST', '/payment-connections', {
      provider: 'lemonsqueezy',
      name: 'Lemon Squeezy',
      webhookSecret: LEMON_SECRET,
      mappings: [{ providerItemId: '612044', policyId: 1, seatsPerUnit: 1 }],
    });
    connections.lemonsqueezy = connection.id;
    const order = fixture('lemon-squeezy/order-created.json', BUYERS.lemonsqueezy);
    const forged = await deliver(connection.id, order, { 'x-signature': hmacHex('not the secret', order) });
    expect(forged.status).toBe(400);
    expect(await fromLemonSqueezy(order)).toEqual({ status: 200, body: { received: true } });
    expect(await fromLemonSqueezy(order)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    const [license, ...more] = await licensesOf(BUYERS.lemonsqueezy);
    expect(more).toEqual([]);
    expect(license).toMatchObject({ policyId: 1, overrides: { maxMachines: 2 } });
    const [mail] = await mailTo(BUYERS.lemonsqueezy, 1);
    expect(mail?.parsed.text).toContain(license?.key);
    expect(served.output()).not.toContain(LEMON_SECRET);
    expect(served.output()).not.toContain(SMTP_PASSWORD);
  });
});
