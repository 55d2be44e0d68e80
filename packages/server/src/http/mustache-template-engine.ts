import Mustache from 'mustache';
import type { TemplateEngine } from '../core/email/template-engine.js';

const asIs = (value: unknown) => String(value);

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/**
 * Mustache's own escaping also turns `/` and `=` into entities, which leaves links in a message's source
 * unreadable; these five are what text and quoted attributes need.
 */
const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

/**
 * Email templates in Mustache: logic-less, so a vendor's template can insert values and leave parts out, and
 * nothing more. Values are looked up only among the message's own variables (no prototype names such as
 * `constructor`), partials render empty, and HTML escaping covers `& < > " '` (templates quote their attributes).
 */
export const mustacheTemplateEngine: TemplateEngine = {
  problem(template) {
    try {
      Mustache.parse(template);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  },
  render(template, values, escaping) {
    const view: Record<string, string> = Object.assign(Object.create(null), values);
    return Mustache.render(template, view, {}, { escape: escaping === 'html' ? escapeHtml : asIs });
  },
};
