import { lookup } from 'node:dns/promises';
import { createTransport } from 'nodemailer';
import { MailDeliveryError, type MailTransport } from '../core/email/mail-transport.js';
import {
  type DestinationRules,
  destinationVerdict,
  parseIpAddress,
} from '../core/operations/network-destinations.js';

/** Resolves a name to all its addresses (replaceable in tests). */
export type SmtpResolver = (hostname: string) => Promise<{ address: string }[]>;

const systemResolver: SmtpResolver = (hostname) => lookup(hostname, { all: true });

/**
 * The address to connect to: a literal one as given, a name's first address the destination rules allow.
 * The SMTP host is chosen by a user, so like a webhook URL it reaches no internal address unless the operator
 * allows it; connecting to the checked address (not the name again) leaves no room for DNS rebinding.
 */
async function allowedAddress(host: string, rules: DestinationRules, resolve: SmtpResolver): Promise<string> {
  const literal = host.replace(/^\[|\]$/g, '');
  if (parseIpAddress(literal)) {
    const verdict = destinationVerdict(literal, rules);
    if (verdict.allowed) return literal;
    throw new MailDeliveryError(`refused: ${verdict.reason}`, true);
  }
  const candidates = (await resolve(host)).map((a) => a.address);
  const refusals: string[] = [];
  for (const address of candidates) {
    const verdict = destinationVerdict(address, rules);
    if (verdict.allowed) return address;
    refusals.push(verdict.reason);
  }
  throw new MailDeliveryError(`refused: ${host} resolves to ${refusals.join(', ') || 'no address'}`, true);
}

/** What an SMTP client error says: the server's own answer when there is one. */
function describe(error: unknown): { message: string; isPermanent: boolean } {
  const failure = error as { response?: unknown; responseCode?: unknown; message?: unknown };
  const code = typeof failure.responseCode === 'number' ? failure.responseCode : null;
  const response = typeof failure.response === 'string' ? failure.response : null;
  const message = response ?? (typeof failure.message === 'string' ? failure.message : String(error));
  return { message, isPermanent: code !== null && code >= 500 && code < 600 };
}

/**
 * Email over SMTP with nodemailer: one connection per message (a background sender, not a bulk mailer),
 * implicit TLS, STARTTLS required, or plain; the certificate is checked against the host name. The whole
 * exchange is bounded by `timeoutMs`.
 */
export function smtpMailTransport(
  rules: DestinationRules,
  options: { resolve?: SmtpResolver } = {},
): MailTransport {
  const resolve = options.resolve ?? systemResolver;
  return {
    async send(connection, mail, timeoutMs) {
      let address: string;
      try {
        address = await allowedAddress(connection.host, rules, resolve);
      } catch (error) {
        if (error instanceof MailDeliveryError) throw error;
        throw new MailDeliveryError(
          `${connection.host} cannot be resolved: ${describe(error).message}`,
          false,
        );
      }
      const isName = !parseIpAddress(connection.host.replace(/^\[|\]$/g, ''));
      const transporter = createTransport({
        host: address,
        port: connection.port,
        secure: connection.security === 'tls',
        requireTLS: connection.security === 'starttls',
        ignoreTLS: connection.security === 'none',
        ...(isName ? { servername: connection.host, tls: { servername: connection.host } } : {}),
        auth:
          connection.username === null
            ? undefined
            : { user: connection.username, pass: connection.password ?? '' },
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        dnsTimeout: timeoutMs,
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          transporter.sendMail({
            from: { name: mail.from.name, address: mail.from.address },
            to: mail.to,
            ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
          }),
          new Promise((_, fail) => {
            timer = setTimeout(
              () => fail(new MailDeliveryError(`no answer within ${timeoutMs} ms`, false)),
              timeoutMs,
            );
          }),
        ]);
      } catch (error) {
        if (error instanceof MailDeliveryError) throw error;
        const { message, isPermanent } = describe(error);
        throw new MailDeliveryError(message, isPermanent);
      } finally {
        clearTimeout(timer);
        transporter.close();
      }
    },
  };
}
