/**
 * Email to vendors' customers: a durable outbox. Whatever decides that a message is due (a purchase delivered a
 * license, a renewal, an expiry notice, a portal sign-in) enqueues it in the transaction that made the change,
 * so the message exists exactly when the change does; a dispatcher sends it later over SMTP, with retries.
 */

export const EMAIL_KINDS = [
  'license_delivered',
  'license_renewed',
  'license_expiring_soon',
  'license_expired',
  'portal_sign_in',
  'test',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export const EMAIL_STATUSES = ['pending', 'sent', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** A message to send: its kind picks the template (of its product, else the default) rendered at sending. */
export interface QueuedEmail {
  kind: EmailKind;
  to: string;
  /** Picks the product's template and sender; null uses the defaults. */
  productId: number | null;
  licenseId: number | null;
  customerId: number | null;
  /** Values the template may name (`licenseKey`, `productName`, …); kept in plain text. */
  variables: Record<string, string>;
  /**
   * Values that are secrets (a portal sign-in link), sealed by core with the server's SecretBox before they reach
   * storage, and cleared once the message is sent or given up: the outbox never holds them in plain text.
   */
  sealedSecrets: string | null;
}

export interface EmailMessage extends QueuedEmail {
  id: number;
  status: EmailStatus;
  attemptCount: number;
  nextAttemptAt: Date;
  lastError: string | null;
  /** The subject as rendered when last attempted; null before. */
  subject: string | null;
  sentAt: Date | null;
  createdAt: Date;
  /** Retries go on for a day from here: when it was first due, or when the vendor asked for a retry. */
  retryWindowStartedAt: Date;
}

/** How one attempt ended, as the dispatcher records it. */
export interface EmailAttemptOutcome {
  status: EmailStatus;
  nextAttemptAt: Date;
  /** Whether this was an attempt (a message waiting for the SMTP setup has made none). */
  isAttempt: boolean;
  lastError: string | null;
  subject: string | null;
  sentAt: Date | null;
  /** Sent or given up: the secrets are no longer needed and are dropped. */
  clearSecrets: boolean;
}

export interface EmailListFilter {
  status: EmailStatus | null;
  licenseId: number | null;
  /** Newest first: messages with an id below this. */
  before: number | null;
  limit: number;
}

export interface EmailOutboxRepository {
  /** Adds a pending message due now. */
  enqueue(email: QueuedEmail, now: Date): Promise<EmailMessage>;
  findById(id: number): Promise<EmailMessage | null>;
  /**
   * Leases up to `limit` pending messages due at `now` to `owner` until `leaseUntil`: rows another process is
   * claiming are skipped, and a leased row is claimed again only once its lease ran out (its process died).
   */
  claimDue(input: { now: Date; owner: string; leaseUntil: Date; limit: number }): Promise<EmailMessage[]>;
  /** Records an attempt of a message `owner` holds and ends the lease; false when the lease was lost. */
  completeAttempt(input: { id: number; owner: string; outcome: EmailAttemptOutcome }): Promise<boolean>;
  list(filter: EmailListFilter): Promise<EmailMessage[]>;
  /** A failed or pending message due now with a new day of retries; null when none has this id. */
  retry(id: number, now: Date): Promise<EmailMessage | null>;
}

export const SMTP_SECURITIES = ['tls', 'starttls', 'none'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITIES)[number];

/** The server's SMTP setup and the account's sender. */
export interface EmailSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  /** SecretBox-sealed; never leaves core. */
  sealedPassword: string | null;
  fromName: string;
  fromAddress: string;
  replyTo: string | null;
  /** Kinds sent; messages of other kinds are given up as disabled. */
  enabledKinds: EmailKind[];
  updatedAt: Date;
}

export interface EmailSettingsRepository {
  get(): Promise<EmailSettings | null>;
  save(settings: EmailSettings): Promise<void>;
}

/** A vendor's template of one kind, for one product or (productId null) every product without its own. */
export interface EmailTemplate {
  productId: number | null;
  kind: EmailKind;
  /** Null inherits the account's sender. */
  fromName: string | null;
  fromAddress: string | null;
  subject: string;
  textBody: string;
  htmlBody: string;
  updatedAt: Date;
}

export interface EmailTemplateRepository {
  find(productId: number | null, kind: EmailKind): Promise<EmailTemplate | null>;
  /** The templates saved for this product (null: the account's defaults). */
  listFor(productId: number | null): Promise<EmailTemplate[]>;
  save(template: EmailTemplate): Promise<void>;
  delete(productId: number | null, kind: EmailKind): Promise<boolean>;
}

/** The repository above, as `Repositories` holds it. */
export interface EmailRepositories {
  emailOutbox: EmailOutboxRepository;
  emailSettings: EmailSettingsRepository;
  emailTemplates: EmailTemplateRepository;
}
