import type { SecretBox } from '../signing/secrets.js';
import type { EmailSettings, SmtpSecurity } from './email-ports.js';

/** Where and how to reach the SMTP server, the password opened for this send only. */
export interface SmtpConnection {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  password: string | null;
}

/** A message ready to send. */
export interface OutgoingMail {
  from: { name: string; address: string };
  replyTo: string | null;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * The SMTP server did not take the message. `isPermanent` when it refused it for good (a 5xx answer, such as
 * an unknown recipient): trying again would get the same answer.
 */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';
  constructor(
    message: string,
    readonly isPermanent: boolean,
  ) {
    super(message);
  }
}

/** How long the SMTP server gets to take a message (connect, greet, sign in, send). */
export const SMTP_TIMEOUT_MS = 15_000;

/** Hands one message to an SMTP server; throws a MailDeliveryError when it was not accepted. */
export interface MailTransport {
  send(connection: SmtpConnection, mail: OutgoingMail, timeoutMs: number): Promise<void>;
}

/** The settings as a transport takes them, the password opened. */
export function smtpConnection(settings: EmailSettings, secretBox: SecretBox): SmtpConnection {
  return {
    host: settings.host,
    port: settings.port,
    security: settings.security,
    username: settings.username,
    password: settings.sealedPassword === null ? null : secretBox.open(settings.sealedPassword),
  };
}
