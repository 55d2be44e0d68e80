import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { nextRetryAt } from '../events/webhook-retry.js';
import type { Store } from '../ports.js';
import type { SecretBox } from '../signing/secrets.js';
import { composeEmail, effectiveTemplate } from './compose-email.js';
import type { EmailAttemptOutcome, EmailMessage, EmailSettings } from './email-ports.js';
import {
  MailDeliveryError,
  type MailTransport,
  type OutgoingMail,
  SMTP_TIMEOUT_MS,
  smtpConnection,
} from './mail-transport.js';
import type { TemplateEngine } from './template-engine.js';

export interface DispatcherOptions {
  /** Messages claimed and sent at once, per process. */
  batch?: number;
  /** The SMTP server gets this long to take a message. */
  timeoutMs?: number;
  /** Names this process in leases; unique per dispatcher. */
  owner?: string;
  onError?: (error: unknown) => void;
}

/** What a message waiting for the SMTP setup says, and how often it looks again. */
export const NOT_SET_UP = 'email is not set up';
export const NOT_SET_UP_RECHECK_MS = 60_000;

/** Where a secret would show in what the outbox keeps (the rendered subject). */
const HIDDEN = '[hidden]';

/** The secrets core sealed when it queued the message: a JSON object of strings. */
function openSecrets(sealed: string | null, secretBox: SecretBox): Record<string, string> {
  if (sealed === null) return {};
  const parsed: unknown = JSON.parse(secretBox.open(sealed));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('sealed secrets are no object');
  return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, String(value)]));
}

/**
 * Sends the email outbox. Messages are leased from the database (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite
 * writers serialize), so with several server processes each message is sent by one of them; a process that
 * dies holding a lease leaves its messages to others once the lease runs out. Sending happens outside any
 * transaction, on a background timer. A failed attempt is tried again with the webhooks' backoff (30 s
 * doubling to 3 h) for a day, and an SMTP server's permanent refusal (5xx) ends it at once.
 */
export class EmailDispatcher {
  readonly owner: string;
  private readonly batch: number;
  private readonly timeoutMs: number;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      secretBox: SecretBox;
      engine: TemplateEngine;
      transport: MailTransport;
      /** KEYWARD_PUBLIC_URL, the base of `portalUrl`; null: messages name no portal. */
      publicUrl?: string | null;
    },
    options: DispatcherOptions = {},
  ) {
    this.owner = options.owner ?? randomUUID();
    this.batch = options.batch ?? 8;
    this.timeoutMs = options.timeoutMs ?? SMTP_TIMEOUT_MS;
    this.onError = options.onError ?? (() => {});
  }

  private readonly onError: (error: unknown) => void;

  /** Longer than any attempt can take, so a lease runs out only when its process died. */
  private get leaseMs(): number {
    return this.timeoutMs + 60_000;
  }

  /** Sends everything due now, a batch at a time; returns how many messages it handled. Runs never overlap. */
  runOnce(): Promise<number> {
    if (!this.running)
      this.running = this.drain().finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Sends everything due now and waits for it: what a test or a one-shot command wants. */
  async deliverDue(): Promise<number> {
    await this.running;
    return this.runOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Where customers manage their licenses, while the portal is on and the server knows its address; else ''. */
  private async portalUrl(): Promise<string> {
    const { publicUrl, store } = this.deps;
    if (!publicUrl) return '';
    return (await store.portalSettings.get())?.isEnabled ? `${publicUrl}/portal/` : '';
  }

  private async drain(): Promise<number> {
    let total = 0;
    while (!this.stopped) {
      const now = this.deps.clock.now();
      const claimed = await this.deps.store.transaction((tx) =>
        tx.emailOutbox.claimDue({
          now,
          owner: this.owner,
          leaseUntil: new Date(now.getTime() + this.leaseMs),
          limit: this.batch,
        }),
      );
      if (claimed.length === 0) break;
      // Read once for the batch: every message of it is sent with the same setup.
      const [settings, portalUrl] = await Promise.all([
        this.deps.store.emailSettings.get(),
        this.portalUrl(),
      ]);
      await Promise.all(
        claimed.map((message) => this.send(message, settings, portalUrl).catch(this.onError)),
      );
      total += claimed.length;
      if (claimed.length < this.batch) break;
    }
    return total;
  }

  private async send(
    message: EmailMessage,
    settings: EmailSettings | null,
    portalUrl: string,
  ): Promise<void> {
    const outcome = await this.attempt(message, settings, portalUrl);
    await this.deps.store.transaction((tx) =>
      tx.emailOutbox.completeAttempt({ id: message.id, owner: this.owner, outcome }),
    );
  }

  private async attempt(
    message: EmailMessage,
    settings: EmailSettings | null,
    portalUrl: string,
  ): Promise<EmailAttemptOutcome> {
    const { store, clock, secretBox, engine, transport } = this.deps;
    const now = clock.now();
    const unchanged = { subject: message.subject, sentAt: null, isAttempt: false };
    if (!settings)
      return {
        ...unchanged,
        status: 'pending',
        nextAttemptAt: new Date(now.getTime() + NOT_SET_UP_RECHECK_MS),
        lastError: NOT_SET_UP,
        clearSecrets: false,
      };
    const giveUp = (lastError: string, subject = message.subject, isAttempt = false) =>
      ({
        status: 'failed',
        nextAttemptAt: clock.now(),
        lastError,
        subject,
        sentAt: null,
        isAttempt,
        clearSecrets: true,
      }) as const;
    if (message.kind !== 'test' && !settings.enabledKinds.includes(message.kind))
      return giveUp(`${message.kind} emails are disabled`);
    let secrets: Record<string, string>;
    try {
      secrets = openSecrets(message.sealedSecrets, secretBox);
    } catch {
      return giveUp('its sealed secrets cannot be opened (was the server secret changed?)');
    }
    const [own, account] = await Promise.all([
      message.productId === null ? null : store.emailTemplates.find(message.productId, message.kind),
      store.emailTemplates.find(null, message.kind),
    ]);
    const template = effectiveTemplate(message.kind, message.productId, own, account);
    const variables = { portalUrl, ...message.variables };
    let mail: OutgoingMail;
    let subject: string;
    try {
      mail = composeEmail(engine, settings, template, message.to, { ...variables, ...secrets });
      // The outbox keeps the subject, never a secret a vendor's template put in it.
      const hidden = Object.fromEntries(Object.keys(secrets).map((name) => [name, HIDDEN]));
      subject = composeEmail(engine, settings, template, message.to, {
        ...variables,
        ...hidden,
      }).subject;
    } catch (error) {
      // Saved templates parse (saving checks it); one that does not render would fail the same way again.
      return giveUp(
        `the template cannot be rendered: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    try {
      await transport.send(smtpConnection(settings, secretBox), mail, this.timeoutMs);
    } catch (error) {
      const isPermanent = error instanceof MailDeliveryError && error.isPermanent;
      const lastError = error instanceof Error ? error.message : String(error);
      const finishedAt = clock.now();
      const retryAt = isPermanent
        ? null
        : nextRetryAt(message.attemptCount + 1, message.retryWindowStartedAt, finishedAt);
      if (!retryAt) return giveUp(lastError, subject, true);
      return {
        status: 'pending',
        nextAttemptAt: retryAt,
        lastError,
        subject,
        sentAt: null,
        isAttempt: true,
        clearSecrets: false,
      };
    }
    return {
      status: 'sent',
      nextAttemptAt: clock.now(),
      lastError: null,
      subject,
      sentAt: clock.now(),
      isAttempt: true,
      clearSecrets: true,
    };
  }
}
