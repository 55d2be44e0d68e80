/**
 * A logic-less template language (the server composes Mustache in): `{{name}}` inserts a value, and
 * `{{#name}}…{{/name}}` shows its part only when the value is not empty. Core names no library, so the
 * composition root hands one in.
 */
export interface TemplateEngine {
  /** Why the template does not parse (an unclosed section, an unopened tag…); null when it does. */
  problem(template: string): string | null;
  /**
   * Renders with these values; a name without a value renders empty. `escaping: 'html'` escapes values for
   * HTML; `'none'` inserts them as they are (plain text).
   */
  render(template: string, values: Record<string, string>, escaping: 'html' | 'none'): string;
}
