import type { EmailKind } from './email-ports.js';

export interface TemplateText {
  subject: string;
  textBody: string;
  htmlBody: string;
}

/** What every message about a license may name (license-email-variables.ts fills them; the dispatcher `portalUrl`). */
const LICENSE_VARIABLES = [
  'licenseKey',
  'productName',
  'policyName',
  'customerName',
  'expiresAt',
  'maxMachines',
  'portalUrl',
] as const;

/** The names each kind's templates may use; a template may name others, which render empty. */
export const TEMPLATE_VARIABLES: Record<EmailKind, readonly string[]> = {
  license_delivered: LICENSE_VARIABLES,
  license_renewed: LICENSE_VARIABLES,
  license_expiring_soon: LICENSE_VARIABLES,
  license_expired: LICENSE_VARIABLES,
  portal_sign_in: ['signInUrl', 'customerName', 'expiresInMinutes'],
  test: [],
};

const greeting =
  '{{#customerName}}Hello {{customerName}},{{/customerName}}{{^customerName}}Hello,{{/customerName}}';
const htmlGreeting = `<p>${greeting}</p>`;
const keyLines =
  'License key: {{licenseKey}}\n{{#policyName}}Plan: {{policyName}}\n{{/policyName}}' +
  '{{#maxMachines}}Computers: up to {{maxMachines}}\n{{/maxMachines}}';
const keyHtml =
  '<p>License key: <strong style="font-family:monospace">{{licenseKey}}</strong></p>\n' +
  '{{#policyName}}<p>Plan: {{policyName}}</p>\n{{/policyName}}' +
  '{{#maxMachines}}<p>Computers: up to {{maxMachines}}</p>\n{{/maxMachines}}';

/** Where the customer frees a seat or downloads a license file, when the vendor's portal is on. */
const portalLine = '{{#portalUrl}}\nManage your license and your computers: {{portalUrl}}\n{{/portalUrl}}';
const portalHtml =
  '{{#portalUrl}}<p><a href="{{portalUrl}}">Manage your license and your computers</a></p>\n{{/portalUrl}}';

/**
 * What a kind's message says until the vendor writes its own: plain and friendly, every variable of the kind
 * used, parts about empty values left out.
 */
export const DEFAULT_TEMPLATES: Record<EmailKind, TemplateText> = {
  license_delivered: {
    subject: 'Your license for {{productName}}',
    textBody:
      `${greeting}\n\nThank you for your purchase. Here is your license for {{productName}}.\n\n${keyLines}` +
      '{{#expiresAt}}Valid until: {{expiresAt}}\n{{/expiresAt}}\nEnter the key in the app to activate it.\n' +
      portalLine,
    htmlBody:
      `${htmlGreeting}\n<p>Thank you for your purchase. Here is your license for {{productName}}.</p>\n${keyHtml}` +
      '{{#expiresAt}}<p>Valid until: {{expiresAt}}</p>\n{{/expiresAt}}<p>Enter the key in the app to activate it.</p>\n' +
      portalHtml,
  },
  license_renewed: {
    subject: 'Your {{productName}} license was renewed',
    textBody:
      `${greeting}\n\nYour license for {{productName}} was renewed` +
      `{{#expiresAt}} and is now valid until {{expiresAt}}{{/expiresAt}}.\n\n${keyLines}\n` +
      `Nothing to do: the app picks up the new term by itself.\n${portalLine}`,
    htmlBody:
      `${htmlGreeting}\n<p>Your license for {{productName}} was renewed` +
      `{{#expiresAt}} and is now valid until {{expiresAt}}{{/expiresAt}}.</p>\n${keyHtml}` +
      `<p>Nothing to do: the app picks up the new term by itself.</p>\n${portalHtml}`,
  },
  license_expiring_soon: {
    subject: 'Your {{productName}} license expires soon',
    textBody:
      `${greeting}\n\nYour license for {{productName}} expires on {{expiresAt}}.\n` +
      `Renew it before then to keep using the app without interruption.\n\n${keyLines}${portalLine}`,
    htmlBody:
      `${htmlGreeting}\n<p>Your license for {{productName}} expires on {{expiresAt}}.</p>\n` +
      `<p>Renew it before then to keep using the app without interruption.</p>\n${keyHtml}${portalHtml}`,
  },
  license_expired: {
    subject: 'Your {{productName}} license has expired',
    textBody:
      `${greeting}\n\nYour license for {{productName}} expired on {{expiresAt}}.\n` +
      `Renew it to use the app again.\n\n${keyLines}${portalLine}`,
    htmlBody:
      `${htmlGreeting}\n<p>Your license for {{productName}} expired on {{expiresAt}}.</p>\n` +
      `<p>Renew it to use the app again.</p>\n${keyHtml}${portalHtml}`,
  },
  portal_sign_in: {
    subject: 'Your sign-in link',
    textBody:
      `${greeting}\n\nOpen this link to sign in and manage your licenses:\n\n{{signInUrl}}\n\n` +
      'It works once{{#expiresInMinutes}}, for {{expiresInMinutes}} minutes{{/expiresInMinutes}}. ' +
      'If you did not ask for it, ignore this email.\n',
    htmlBody:
      `${htmlGreeting}\n<p><a href="{{signInUrl}}">Sign in to manage your licenses</a></p>\n` +
      '<p>The link works once{{#expiresInMinutes}}, for {{expiresInMinutes}} minutes{{/expiresInMinutes}}. ' +
      'If you did not ask for it, ignore this email.</p>\n',
  },
  test: {
    subject: 'Test email',
    textBody: 'This is a test email. If you read it, the email setup works.\n',
    htmlBody: '<p>This is a test email. If you read it, the email setup works.</p>\n',
  },
};
