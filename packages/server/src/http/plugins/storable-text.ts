import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../core/domain-error.js';

// NUL, and UTF-16 surrogates without their pair: PostgreSQL refuses the first, and both databases store a
// lone surrogate as U+FFFD, so what is read back would differ from what was checked and written.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isUnstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/** Where in a request value the first text that no database can store faithfully sits; null when none. */
function findUnstorable(value: unknown, path: string): string | null {
  const pending: Array<[unknown, string]> = [[value, path]];
  while (pending.length > 0) {
    const [current, where] = pending.pop() as [unknown, string];
    if (typeof current === 'string') {
      if (isUnstorable(current)) return where;
    } else if (Array.isArray(current)) {
      for (const [index, item] of current.entries()) pending.push([item, `${where}.${index}`]);
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (isUnstorable(key)) return `${where}.(a key)`;
        pending.push([item, `${where}.${key}`]);
      }
    }
  }
  return null;
}

/**
 * Refuses request text holding NUL characters or lone surrogates with a 400, on every surface and on both
 * databases alike, instead of a database error (500) on PostgreSQL and silently changed text on SQLite.
 * Runs after authentication and schema validation, before any handler.
 */
export function registerStorableText(app: FastifyInstance): void {
  app.addHook('preHandler', (request, _reply, done) => {
    const where =
      findUnstorable(request.params, 'params') ??
      findUnstorable(request.query, 'querystring') ??
      findUnstorable(request.body, 'body');
    if (where === null) return done();
    done(
      new DomainError('INVALID_INPUT', `${where} holds a NUL character or an unpaired surrogate`, {
        field: where,
      }),
    );
  });
}
