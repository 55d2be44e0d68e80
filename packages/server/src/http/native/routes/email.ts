import { DomainError } from '../../../core/domain-error.js';
import type { EffectiveTemplate } from '../../../core/email/compose-email.js';
import { TEMPLATE_VARIABLES } from '../../../core/email/default-templates.js';
import type { EmailMessageView, EmailSettingsView } from '../../../core/email/email-service.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf } from '../../plugins/authenticate.js';
import {
  EmailMessage,
  EmailMessageListQuery,
  EmailSettings,
  EmailSettingsInput,
  EmailTemplate,
  EmailTemplateInput,
  EmailTemplateList,
  EmailTestInput,
  EmailTestResult,
  TemplateParams,
  TemplateQuery,
} from '../email-schemas.js';
import { errorResponses } from '../openapi/error-responses.js';
import { page } from '../present.js';
import { parseCursor } from '../request-values.js';
import { IdParams, listOf } from '../schemas.js';

const tags = ['email'];
const ACCOUNT_WIDE = 'Email belongs to the whole account: it needs a token locked to no product or license.';

const presentSettings = ({ updatedAt, ...settings }: EmailSettingsView) => ({
  ...settings,
  updatedAt: updatedAt.toISOString(),
});

export const presentTemplate = (t: EffectiveTemplate) => ({
  ...t,
  updatedAt: t.updatedAt?.toISOString() ?? null,
  variables: [...TEMPLATE_VARIABLES[t.kind]],
});

export const presentMessage = (m: EmailMessageView) => ({
  id: m.id,
  kind: m.kind,
  to: m.to,
  productId: m.productId,
  licenseId: m.licenseId,
  customerId: m.customerId,
  variables: m.variables,
  hasSecrets: m.hasSecrets,
  status: m.status,
  attemptCount: m.attemptCount,
  nextAttemptAt: m.status === 'pending' ? m.nextAttemptAt.toISOString() : null,
  lastError: m.lastError,
  subject: m.subject,
  sentAt: m.sentAt?.toISOString() ?? null,
  createdAt: m.createdAt.toISOString(),
});

export function emailRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/email/settings',
    {
      config: { auth: { scope: 'email:read' } },
      schema: {
        tags,
        summary: 'Get the email settings',
        description: `The SMTP setup and the account's sender; 404 NOT_FOUND until saved. ${ACCOUNT_WIDE}`,
        response: { 200: EmailSettings, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      const settings = await keyward.email.getSettings(actorOf(request, 'native'));
      if (!settings) throw new DomainError('NOT_FOUND', 'email is not set up: PUT /v1/email/settings');
      return presentSettings(settings);
    },
  );

  app.put(
    '/email/settings',
    {
      config: { auth: { scope: 'email:write' } },
      schema: {
        tags,
        summary: 'Save the email settings',
        description:
          'Sets how email is sent. The password is sealed and never shown again; leave it out to keep the ' +
          `saved one. An internal SMTP host is refused (400 INVALID_INPUT) unless the operator allows it. ${ACCOUNT_WIDE}`,
        body: EmailSettingsInput,
        response: { 200: EmailSettings },
      },
    },
    async (request) =>
      presentSettings(await keyward.email.saveSettings(actorOf(request, 'native'), request.body)),
  );

  app.get(
    '/email/templates',
    {
      config: { auth: { scope: 'email:read' } },
      schema: {
        tags,
        summary: 'List the email templates',
        description:
          "The template each kind of message uses for a product (productId), or the account's defaults: " +
          `the product's own, else the account's, else the built-in one (see source). ${ACCOUNT_WIDE}`,
        querystring: TemplateQuery,
        response: { 200: EmailTemplateList, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      const templates = await keyward.email.listTemplates(
        actorOf(request, 'native'),
        request.query.productId ?? null,
      );
      return { data: templates.map(presentTemplate) };
    },
  );

  app.get(
    '/email/templates/:kind',
    {
      config: { auth: { scope: 'email:read' } },
      schema: {
        tags,
        summary: 'Get an email template',
        description: `The template one kind uses for a product (productId), or the account's default. ${ACCOUNT_WIDE}`,
        params: TemplateParams,
        querystring: TemplateQuery,
        response: { 200: EmailTemplate, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) =>
      presentTemplate(
        await keyward.email.getTemplate(
          actorOf(request, 'native'),
          request.params.kind,
          request.query.productId ?? null,
        ),
      ),
  );

  app.put(
    '/email/templates/:kind',
    {
      config: { auth: { scope: 'email:write' } },
      schema: {
        tags,
        summary: 'Save an email template',
        description:
          "Saves the product's (productId) or the account's template of a kind. Subject and bodies are " +
          'Mustache: {{name}} inserts a variable of the kind, {{#name}}…{{/name}} shows a part only when it is ' +
          'not empty; the HTML body escapes values. A template that does not parse is refused (400 ' +
          `INVALID_INPUT naming the field). ${ACCOUNT_WIDE}`,
        params: TemplateParams,
        querystring: TemplateQuery,
        body: EmailTemplateInput,
        response: { 200: EmailTemplate, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) =>
      presentTemplate(
        await keyward.email.saveTemplate(
          actorOf(request, 'native'),
          request.params.kind,
          request.query.productId ?? null,
          request.body,
        ),
      ),
  );

  app.delete(
    '/email/templates/:kind',
    {
      config: { auth: { scope: 'email:write' } },
      schema: {
        tags,
        summary: 'Reset an email template',
        description:
          "Removes the product's (productId) or the account's own template of a kind; the answer is the " +
          `template the kind falls back to. ${ACCOUNT_WIDE}`,
        params: TemplateParams,
        querystring: TemplateQuery,
        response: { 200: EmailTemplate, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) =>
      presentTemplate(
        await keyward.email.resetTemplate(
          actorOf(request, 'native'),
          request.params.kind,
          request.query.productId ?? null,
        ),
      ),
  );

  app.get(
    '/email/messages',
    {
      config: { auth: { scope: 'email:read' } },
      schema: {
        tags,
        summary: 'List the email outbox',
        description: `Messages, newest first, optionally in one state or about one license. ${ACCOUNT_WIDE}`,
        querystring: EmailMessageListQuery,
        response: { 200: listOf(EmailMessage) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const messages = await keyward.email.listMessages(actorOf(request, 'native'), {
        status: request.query.status ?? null,
        licenseId: request.query.licenseId ?? null,
        before: parseCursor(request.query.after, Number.MAX_SAFE_INTEGER),
        limit,
      });
      return page(messages, limit, presentMessage);
    },
  );

  app.get(
    '/email/messages/:id',
    {
      config: { auth: { scope: 'email:read' } },
      schema: {
        tags,
        summary: 'Get an email message',
        description: `One message of the outbox, with its last error. ${ACCOUNT_WIDE}`,
        params: IdParams,
        response: { 200: EmailMessage, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) =>
      presentMessage(await keyward.email.getMessage(actorOf(request, 'native'), request.params.id)),
  );

  app.post(
    '/email/messages/:id/retry',
    {
      config: { auth: { scope: 'email:write' } },
      schema: {
        tags,
        summary: 'Retry an email message',
        description:
          'Sends a pending or failed message now, with a new day of retries. A sent message, or a sign-in ' +
          `message whose link was already dropped, is refused with 409 CONFLICT. ${ACCOUNT_WIDE}`,
        params: IdParams,
        response: { 200: EmailMessage, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) =>
      presentMessage(await keyward.email.retryMessage(actorOf(request, 'native'), request.params.id)),
  );

  app.post(
    '/email/test',
    {
      config: { auth: { scope: 'email:write' } },
      schema: {
        tags,
        summary: 'Send a test email',
        description:
          "Renders the test template (the product's, with productId) and sends it at once, outside the " +
          'outbox; the answer says whether the SMTP server took it, or what it answered. 409 CONFLICT before ' +
          `the settings are saved. ${ACCOUNT_WIDE}`,
        body: EmailTestInput,
        response: { 200: EmailTestResult, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => keyward.email.sendTest(actorOf(request, 'native'), request.body),
  );
}
