import { DEFAULT_TEMPLATES } from './default-templates.js';
import type { EmailKind, EmailSettings, EmailTemplate } from './email-ports.js';
import type { OutgoingMail } from './mail-transport.js';
import type { TemplateEngine } from './template-engine.js';

/** Where the template in use comes from: the product's own, the account's default, or the built-in one. */
export type TemplateSource = 'product' | 'account' | 'built-in';

export interface EffectiveTemplate {
  kind: EmailKind;
  productId: number | null;
  source: TemplateSource;
  fromName: string | null;
  fromAddress: string | null;
  subject: string;
  textBody: string;
  htmlBody: string;
  updatedAt: Date | null;
}

/**
 * The template a message of this kind uses: the product's, else the account's default, else the built-in
 * one. A sender left empty is inherited the same way (a product template may change only the wording).
 */
export function effectiveTemplate(
  kind: EmailKind,
  productId: number | null,
  productTemplate: EmailTemplate | null,
  accountTemplate: EmailTemplate | null,
): EffectiveTemplate {
  const own = productTemplate ?? accountTemplate;
  const text = own ?? DEFAULT_TEMPLATES[kind];
  return {
    kind,
    productId,
    source: productTemplate ? 'product' : accountTemplate ? 'account' : 'built-in',
    fromName: productTemplate?.fromName ?? accountTemplate?.fromName ?? null,
    fromAddress: productTemplate?.fromAddress ?? accountTemplate?.fromAddress ?? null,
    subject: text.subject,
    textBody: text.textBody,
    htmlBody: text.htmlBody,
    updatedAt: own?.updatedAt ?? null,
  };
}

/** A subject is one header line: line breaks from a value become spaces. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ').trim();

/**
 * The message as sent: the template rendered with the values (HTML-escaped in the HTML body only), from the
 * template's sender or the account's.
 */
export function composeEmail(
  engine: TemplateEngine,
  settings: EmailSettings,
  template: EffectiveTemplate,
  to: string,
  values: Record<string, string>,
): OutgoingMail {
  return {
    from: {
      name: template.fromName ?? settings.fromName,
      address: template.fromAddress ?? settings.fromAddress,
    },
    replyTo: settings.replyTo,
    to,
    subject: oneLine(engine.render(template.subject, values, 'none')),
    text: engine.render(template.textBody, values, 'none'),
    html: engine.render(template.htmlBody, values, 'html'),
  };
}
