import type { Actor } from '../access/actor.js';
import { assertAccountWide, assertScope } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { checkDestinationHost, type DestinationRules } from '../operations/network-destinations.js';
import type { Store } from '../ports.js';
import type { SecretBox } from '../signing/secrets.js';
import { composeEmail, type EffectiveTemplate, effectiveTemplate } from './compose-email.js';
import { type DispatcherOptions, EmailDispatcher } from './email-dispatcher.js';
import {
  EMAIL_KINDS,
  type EmailKind,
  type EmailListFilter,
  type EmailMessage,
  type EmailSettings,
  SMTP_SECURITIES,
  type SmtpSecurity,
} from './email-ports.js';
import {
  MailDeliveryError,
  type MailTransport,
  SMTP_TIMEOUT_MS,
  type SmtpConnection,
  smtpConnection,
} from './mail-transport.js';
import type { TemplateEngine } from './template-engine.js';

/** What the vendor sets; a password left out is kept, null removes it. */
export interface EmailSettingsInput {
  host: string;
  port: number;
  security: SmtpSecurity;
  username?: string | null;
  password?: string | null;
  fromName: string;
  fromAddress: string;
  replyTo?: string | null;
  /** Default: every kind. */
  enabledKinds?: EmailKind[];
}

/** The settings as anyone may read them: the password is never given back, only whether one is set. */
export type EmailSettingsView = Omit<EmailSettings, 'sealedPassword'> & { hasPassword: boolean };

export interface EmailTemplateInput {
  fromName?: string | null;
  fromAddress?: string | null;
  subject: string;
  textBody: string;
  htmlBody: string;
}

/** A message as the API shows it: its secrets stay sealed, and only whether it holds any is told. */
export type EmailMessageView = Omit<EmailMessage, 'sealedSecrets'> & { hasSecrets: boolean };

export interface EmailDeliveryParts {
  engine: TemplateEngine;
  transport: MailTransport;
}

const MAX_TEMPLATE_CHARS = 100_000;
const MAX_LINE_CHARS = 320;
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;
const HOST = /^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/;

function checkLine(value: string, field: string, options: { allowEmpty?: boolean } = {}): string {
  const trimmed = value.trim();
  if ((!options.allowEmpty && trimmed === '') || trimmed.length > MAX_LINE_CHARS || /[\r\n]/.test(trimmed))
    throw new DomainError('INVALID_INPUT', `${field} must be one line of 1 to ${MAX_LINE_CHARS} characters`, {
      field,
    });
  return trimmed;
}

export function checkAddress(value: string, field: string): string {
  const trimmed = checkLine(value, field);
  if (!ADDRESS.test(trimmed))
    throw new DomainError('INVALID_INPUT', `${field} is no email address`, { field });
  return trimmed;
}

const optionalLine = (value: string | null | undefined, field: string) =>
  value === undefined || value === null || value.trim() === '' ? null : checkLine(value, field);
const optionalAddress = (value: string | null | undefined, field: string) =>
  value === undefined || value === null || value.trim() === '' ? null : checkAddress(value, field);

export function checkKind(kind: string): EmailKind {
  if (!(EMAIL_KINDS as readonly string[]).includes(kind))
    throw new DomainError('INVALID_INPUT', `${kind} is no email kind: one of ${EMAIL_KINDS.join(', ')}`, {
      field: 'kind',
    });
  return kind as EmailKind;
}

const toView = ({ sealedPassword, ...settings }: EmailSettings): EmailSettingsView => ({
  ...settings,
  hasPassword: sealedPassword !== null,
});

export const toMessageView = ({ sealedSecrets, ...message }: EmailMessage): EmailMessageView => ({
  ...message,
  hasSecrets: sealedSecrets !== null,
});

/**
 * Email to vendors' customers: the SMTP setup, the templates (per product, the account's defaults, the
 * built-in ones), the outbox, and a test message. Email belongs to the whole account: only unlocked
 * credentials reach it.
 */
export class EmailService {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      secretBox: SecretBox;
      destinations: DestinationRules;
      /** Absent where the process sends no email (it then refuses what needs them). */
      delivery: EmailDeliveryParts | null;
      /** KEYWARD_PUBLIC_URL: with the customer portal on, messages about a license link to it. */
      publicUrl?: string | null;
    },
  ) {}

  private parts(): EmailDeliveryParts {
    if (!this.deps.delivery) throw new Error('this process was started without email delivery');
    return this.deps.delivery;
  }

  private allow(actor: Actor, access: 'read' | 'write'): void {
    assertScope(actor.principal, access === 'read' ? 'email:read' : 'email:write');
    assertAccountWide(actor.principal);
  }

  async getSettings(actor: Actor): Promise<EmailSettingsView | null> {
    this.allow(actor, 'read');
    const settings = await this.deps.store.emailSettings.get();
    return settings ? toView(settings) : null;
  }

  async saveSettings(actor: Actor, input: EmailSettingsInput): Promise<EmailSettingsView> {
    this.allow(actor, 'write');
    const host = checkLine(input.host, 'host').toLowerCase();
    if (!HOST.test(host)) throw new DomainError('INVALID_INPUT', 'host is no host name', { field: 'host' });
    checkDestinationHost(host.replace(/^\[|\]$/g, ''), this.deps.destinations, 'host');
    if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65_535)
      throw new DomainError('INVALID_INPUT', 'port must be 1 to 65535', { field: 'port' });
    if (!(SMTP_SECURITIES as readonly string[]).includes(input.security))
      throw new DomainError('INVALID_INPUT', `security is one of ${SMTP_SECURITIES.join(', ')}`, {
        field: 'security',
      });
    const enabledKinds = [...new Set((input.enabledKinds ?? [...EMAIL_KINDS]).map(checkKind))];
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = await tx.emailSettings.get();
      const sealedPassword =
        input.password === undefined
          ? (current?.sealedPassword ?? null)
          : input.password === null || input.password === ''
            ? null
            : this.deps.secretBox.seal(input.password);
      const settings: EmailSettings = {
        host,
        port: input.port,
        security: input.security,
        username: optionalLine(input.username, 'username'),
        sealedPassword,
        fromName: checkLine(input.fromName, 'fromName'),
        fromAddress: checkAddress(input.fromAddress, 'fromAddress'),
        replyTo: optionalAddress(input.replyTo, 'replyTo'),
        enabledKinds,
        updatedAt: now,
      };
      await tx.emailSettings.save(settings);
      await tx.events.append(
        newEvent('email.settings_updated', actor, now, {}, { passwordChanged: input.password !== undefined }),
      );
      return toView(settings);
    });
  }

  private async checkProduct(productId: number | null): Promise<void> {
    if (productId !== null && !(await this.deps.store.products.findById(productId)))
      throw new DomainError('NOT_FOUND', `product ${productId} does not exist`, { field: 'productId' });
  }

  private async resolve(kind: EmailKind, productId: number | null): Promise<EffectiveTemplate> {
    const { emailTemplates } = this.deps.store;
    const [own, account] = await Promise.all([
      productId === null ? null : emailTemplates.find(productId, kind),
      emailTemplates.find(null, kind),
    ]);
    return effectiveTemplate(kind, productId, own, account);
  }

  /** The template each kind uses for this product (null: the account's defaults), wherever it comes from. */
  async listTemplates(actor: Actor, productId: number | null): Promise<EffectiveTemplate[]> {
    this.allow(actor, 'read');
    await this.checkProduct(productId);
    return Promise.all(EMAIL_KINDS.map((kind) => this.resolve(kind, productId)));
  }

  async getTemplate(actor: Actor, kind: string, productId: number | null): Promise<EffectiveTemplate> {
    this.allow(actor, 'read');
    const checked = checkKind(kind);
    await this.checkProduct(productId);
    return this.resolve(checked, productId);
  }

  /** Saves the product's (or the account's) template of a kind; a template that does not parse is refused. */
  async saveTemplate(
    actor: Actor,
    kind: string,
    productId: number | null,
    input: EmailTemplateInput,
  ): Promise<EffectiveTemplate> {
    this.allow(actor, 'write');
    const checked = checkKind(kind);
    const { engine } = this.parts();
    const parts = { subject: input.subject, textBody: input.textBody, htmlBody: input.htmlBody };
    for (const [field, text] of Object.entries(parts)) {
      if (text.length > MAX_TEMPLATE_CHARS || (field === 'subject' && text.trim() === ''))
        throw new DomainError('INVALID_INPUT', `${field} must hold 1 to ${MAX_TEMPLATE_CHARS} characters`, {
          field,
        });
      const problem = engine.problem(text);
      if (problem !== null)
        throw new DomainError('INVALID_INPUT', `${field} is no valid template: ${problem}`, { field });
    }
    const fromName = optionalLine(input.fromName, 'fromName');
    const fromAddress = optionalAddress(input.fromAddress, 'fromAddress');
    await this.checkProduct(productId);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      await tx.emailTemplates.save({
        productId,
        kind: checked,
        fromName,
        fromAddress,
        ...parts,
        updatedAt: now,
      });
      await tx.events.append(
        newEvent('email.template_updated', actor, now, { productId }, { kind: checked }),
      );
    });
    return this.resolve(checked, productId);
  }

  /** Removes the product's (or the account's) own template: the kind falls back to the next one down. */
  async resetTemplate(actor: Actor, kind: string, productId: number | null): Promise<EffectiveTemplate> {
    this.allow(actor, 'write');
    const checked = checkKind(kind);
    await this.checkProduct(productId);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (await tx.emailTemplates.delete(productId, checked))
        await tx.events.append(
          newEvent('email.template_reset', actor, now, { productId }, { kind: checked }),
        );
    });
    return this.resolve(checked, productId);
  }

  async listMessages(actor: Actor, filter: EmailListFilter): Promise<EmailMessageView[]> {
    this.allow(actor, 'read');
    return (await this.deps.store.emailOutbox.list(filter)).map(toMessageView);
  }

  async getMessage(actor: Actor, id: number): Promise<EmailMessageView> {
    this.allow(actor, 'read');
    const message = await this.deps.store.emailOutbox.findById(id);
    if (!message) throw new DomainError('NOT_FOUND', `email message ${id} does not exist`);
    return toMessageView(message);
  }

  /** Sends a pending or failed message now, with a new day of retries; a sent one is not sent again. */
  async retryMessage(actor: Actor, id: number): Promise<EmailMessageView> {
    this.allow(actor, 'write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const existing = await tx.emailOutbox.findById(id);
      if (!existing) throw new DomainError('NOT_FOUND', `email message ${id} does not exist`);
      if (existing.status === 'sent')
        throw new DomainError('CONFLICT', `email message ${id} was sent already`);
      if (existing.kind === 'portal_sign_in' && existing.sealedSecrets === null)
        throw new DomainError(
          'CONFLICT',
          `email message ${id} no longer holds its sign-in link; the customer asks for a new one`,
        );
      const message = await tx.emailOutbox.retry(id, now);
      if (!message) throw new DomainError('CONFLICT', `email message ${id} was sent already`);
      await tx.events.append(
        newEvent('email.retry_requested', actor, now, { licenseId: message.licenseId }, { emailId: id }),
      );
      return toMessageView(message);
    });
  }

  /**
   * Renders the product's (or the account's) test template and sends it at once, outside the outbox: the
   * answer tells whether the SMTP server took it, or what it said.
   */
  async sendTest(
    actor: Actor,
    input: { to: string; productId?: number | null },
  ): Promise<{ isSent: boolean; error: string | null }> {
    this.allow(actor, 'write');
    const to = checkAddress(input.to, 'to');
    const productId = input.productId ?? null;
    await this.checkProduct(productId);
    const { engine, transport } = this.parts();
    const settings = await this.deps.store.emailSettings.get();
    if (!settings) throw new DomainError('CONFLICT', 'email is not set up: save the SMTP settings first');
    const mail = composeEmail(engine, settings, await this.resolve('test', productId), to, {});
    try {
      await transport.send(this.connection(settings), mail, SMTP_TIMEOUT_MS);
      return { isSent: true, error: null };
    } catch (error) {
      if (error instanceof MailDeliveryError) return { isSent: false, error: error.message };
      throw error;
    }
  }

  private connection(settings: EmailSettings): SmtpConnection {
    return smtpConnection(settings, this.deps.secretBox);
  }

  /** A dispatcher for this store; the server runs one per process. */
  createDispatcher(options: DispatcherOptions = {}): EmailDispatcher {
    const { store, clock, secretBox } = this.deps;
    const { engine, transport } = this.parts();
    const publicUrl = this.deps.publicUrl ?? null;
    return new EmailDispatcher({ store, clock, secretBox, engine, transport, publicUrl }, options);
  }
}
