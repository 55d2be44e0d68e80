import type { EmailDeliveryParts } from '../core/email/email-service.js';
import type { DestinationRules } from '../core/operations/network-destinations.js';
import { mustacheTemplateEngine } from './mustache-template-engine.js';
import { smtpMailTransport } from './smtp-transport.js';

/** What core renders and sends email with: Mustache templates over SMTP to destinations the rules allow. */
export function emailDelivery(rules: DestinationRules): EmailDeliveryParts {
  return { engine: mustacheTemplateEngine, transport: smtpMailTransport(rules) };
}
