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
}

export interface EmailOutboxRepository {
  /** Adds a pending message due now. */
  enqueue(email: QueuedEmail, now: Date): Promise<EmailMessage>;
  findById(id: number): Promise<EmailMessage | null>;
}

/** The repository above, as `Repositories` holds it. */
export interface EmailRepositories {
  emailOutbox: EmailOutboxRepository;
}
