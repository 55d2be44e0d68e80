import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../core/domain-error.js';

// NUL, and UTF-16 surrogates without their pair: PostgreSQL refuses the first, and both databases store a
// lone surrogate as U+FFFD, so what is read back would differ from what was checked and written.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isUnstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

interface Visit {
  value: unknown;
  /** The key or index that leads here from `parent`; the whole path is spelled out only for a finding. */
  step: string;
  parent: Visit | null;
}

function pathOf(visit: Visit): string {
  const steps: string[] = [];
  for (let at: Visit | null = visit; at !== null; at = at.parent) steps.push(at.step);
  return steps.reverse().join('.');
}

/** Where in a request value the first text that no database can store faithfully sits; null when none. */
export function findUnstorable(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isUnstorable(value) ? path : null;
  if (value === null || typeof value !== 'object') return null;
  // Iteratively, so that no depth of nesting can exhaust the stack.
  const pending: Visit[] = [{ value, step: path, parent: null }];
  while (pending.length > 0) {
    const visit = pending.pop() as Visit;
    const current = visit.value;
    if (typeof current === 'string') {
      if (isUnstorable(current)) return pathOf(visit);
    } else if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++)
        pending.push({ value: current[index], step: String(index), parent: visit });
    } else if (current !== null && typeof current === 'object') {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (isUnstorable(key)) return `${pathOf(visit)}.(a key)`;
        pending.push({ value: (current as Record<string, unknown>)[key], step: key, parent: visit });
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
