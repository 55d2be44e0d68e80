import { Type } from 'typebox';
import { TEMPLATE_VARIABLES } from '../../core/email/default-templates.js';
import { EMAIL_KINDS, EMAIL_STATUSES, SMTP_SECURITIES } from '../../core/email/email-ports.js';
import { EXAMPLE } from './openapi/examples.js';
import { Id, Nullable, Timestamp } from './schemas.js';

/** Request and response shapes of the email routes. */

const variablesByKind = EMAIL_KINDS.map(
  (kind) => `${kind}: ${TEMPLATE_VARIABLES[kind].join(', ') || 'none'}`,
).join('; ');

export const EmailKind = Type.Enum([...EMAIL_KINDS], {
  title: 'EmailKind',
  description: `What a message is for; each kind's templates may name these variables: ${variablesByKind}`,
});

export const EmailStatus = Type.Enum([...EMAIL_STATUSES], {
  title: 'EmailStatus',
  description:
    'pending: will be (re)tried at nextAttemptAt (or waits for the SMTP setup); sent: the SMTP server took ' +
    'it; failed: refused for good, retries ran out, or its kind is disabled',
});

const SmtpSecurity = Type.Enum([...SMTP_SECURITIES], {
  description: 'tls: TLS from the start (port 465); starttls: STARTTLS required (port 587); none: plain',
});
const Address = Type.String({ minLength: 3, maxLength: 320, examples: ['sales@example.com'] });
const Line = Type.String({ maxLength: 320 });

export const EmailSettings = Type.Object(
  {
    host: Type.String({ description: 'The SMTP server', examples: ['smtp.example.com'] }),
    port: Type.Integer({ examples: [587] }),
    security: SmtpSecurity,
    username: Nullable(Type.String(), { description: 'Null: no sign-in', examples: ['apikey'] }),
    hasPassword: Type.Boolean({ description: 'Whether a password is set; it is never shown' }),
    fromName: Type.String({ description: 'The default sender name', examples: ['Example Software'] }),
    fromAddress: Type.String({ description: 'The default sender address', examples: ['sales@example.com'] }),
    replyTo: Nullable(Type.String(), { examples: ['support@example.com'] }),
    enabledKinds: Type.Array(EmailKind, {
      description: 'The kinds sent; messages of the others are marked failed as disabled',
    }),
    updatedAt: Type.String({ format: 'date-time', examples: [EXAMPLE.updatedAt] }),
  },
  {
    title: 'EmailSettings',
    description: 'How email is sent. The password is sealed at rest and never shown.',
  },
);

export const EmailSettingsInput = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      maxLength: 253,
      description:
        'The SMTP server: a host name or address. Loopback, private and other internal addresses are ' +
        'refused unless the operator allows them (KEYWARD_ALLOW_PRIVATE_DESTINATIONS).',
      examples: ['smtp.example.com'],
    }),
    port: Type.Integer({ minimum: 1, maximum: 65_535, examples: [587] }),
    security: SmtpSecurity,
    username: Type.Optional(Nullable(Line, { description: 'Null or empty: no sign-in' })),
    password: Type.Optional(
      Nullable(Type.String({ maxLength: 1000 }), {
        description: 'Left out: the saved one is kept; null or empty: none',
      }),
    ),
    fromName: Type.String({ minLength: 1, maxLength: 320, examples: ['Example Software'] }),
    fromAddress: Address,
    replyTo: Type.Optional(Nullable(Line, { description: 'Null or empty: none' })),
    enabledKinds: Type.Optional(
      Type.Array(EmailKind, { maxItems: 20, description: 'The kinds sent; default every kind' }),
    ),
  },
  { additionalProperties: false },
);

export const EmailTemplate = Type.Object(
  {
    kind: EmailKind,
    productId: Nullable(Type.Integer(), { description: "The product; null: the account's default" }),
    source: Type.Enum(['product', 'account', 'built-in'], {
      description:
        "Where this template comes from: the product's own, the account's default, or the built-in one",
    }),
    fromName: Nullable(Type.String(), { description: 'Null: the account sender name' }),
    fromAddress: Nullable(Type.String(), { description: 'Null: the account sender address' }),
    subject: Type.String({ examples: ['Your license for {{productName}}'] }),
    textBody: Type.String({ description: 'Mustache; values inserted as they are' }),
    htmlBody: Type.String({ description: 'Mustache; values HTML-escaped' }),
    updatedAt: Nullable(Timestamp, { description: 'Null for the built-in template' }),
    variables: Type.Array(Type.String(), {
      description: 'The variables messages of this kind carry, as {{name}}',
      examples: [['licenseKey', 'productName']],
    }),
  },
  { title: 'EmailTemplate', description: 'The template a kind of message uses for a product.' },
);

export const EmailTemplateInput = Type.Object(
  {
    fromName: Type.Optional(Nullable(Line, { description: 'Null or empty: inherit' })),
    fromAddress: Type.Optional(Nullable(Line, { description: 'Null or empty: inherit' })),
    subject: Type.String({ minLength: 1, maxLength: 1000 }),
    textBody: Type.String({ maxLength: 100_000 }),
    htmlBody: Type.String({ maxLength: 100_000 }),
  },
  { additionalProperties: false },
);

export const TemplateParams = Type.Object({ kind: EmailKind });
export const TemplateQuery = Type.Object(
  {
    productId: Type.Optional(
      Type.Integer({ ...Id, description: "The product; left out: the account's defaults", examples: [3] }),
    ),
  },
  { additionalProperties: false },
);

export const EmailTemplateList = Type.Object(
  { data: Type.Array(EmailTemplate) },
  { title: 'EmailTemplateList', description: 'The template of every kind, in kind order.' },
);

export const EmailMessage = Type.Object(
  {
    id: Type.Integer({ examples: [501] }),
    kind: EmailKind,
    to: Type.String({ examples: ['buyer@example.net'] }),
    productId: Nullable(Type.Integer()),
    licenseId: Nullable(Type.Integer()),
    customerId: Nullable(Type.Integer()),
    variables: Type.Record(Type.String(), Type.String(), {
      description: 'The values rendered into the template (secrets such as sign-in links are not among them)',
    }),
    hasSecrets: Type.Boolean({
      description: 'Whether it still holds sealed secrets (dropped once sent or given up)',
    }),
    status: EmailStatus,
    attemptCount: Type.Integer({ examples: [1] }),
    nextAttemptAt: Nullable(Timestamp, { description: 'pending: when it is tried next' }),
    lastError: Nullable(Type.String(), {
      description: 'Why the last attempt failed, in the SMTP server’s words',
    }),
    subject: Nullable(Type.String(), { description: 'The subject as last rendered; secrets hidden' }),
    sentAt: Nullable(Timestamp),
    createdAt: Type.String({ format: 'date-time', examples: [EXAMPLE.createdAt] }),
  },
  { title: 'EmailMessage', description: 'A message of the outbox.' },
);

export const EmailMessageListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many messages' }),
    ),
    after: Type.Optional(
      Type.String({ maxLength: 40, description: 'The `nextCursor` of the previous page', examples: ['501'] }),
    ),
    status: Type.Optional(EmailStatus),
    licenseId: Type.Optional(Type.Integer({ ...Id, description: 'Only messages about this license' })),
  },
  { additionalProperties: false },
);

export const EmailTestInput = Type.Object(
  {
    to: Address,
    productId: Type.Optional(
      Nullable(Type.Integer({ ...Id }), { description: "Use this product's test template and sender" }),
    ),
  },
  { additionalProperties: false },
);

export const EmailTestResult = Type.Object(
  {
    isSent: Type.Boolean({ description: 'Whether the SMTP server took the message' }),
    error: Nullable(Type.String(), {
      description: "What went wrong, in the SMTP server's words when it answered",
      examples: ['535 5.7.8 Authentication credentials invalid'],
    }),
  },
  { title: 'EmailTestResult', description: 'How sending a test email went.' },
);
