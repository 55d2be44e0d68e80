import type { Policy } from '../model.js';
import type { Repositories } from '../ports.js';
import { applyRelativeTime } from './relative-time.js';

/**
 * Adds the creation-relative defaults of a policy's date fields (`+ 1 year` from the license's creation) to
 * the values a new license is given, where none was given. Only policies with date fields pay the lookup.
 */
export async function withRelativeDefaults(
  tx: Repositories,
  policy: Policy,
  given: Record<string, unknown>,
  now: Date,
): Promise<Record<string, unknown>> {
  const dateFields = policy.featureFields.filter((f) => f.type === 'date').map((f) => f.name);
  if (dateFields.length === 0) return given;
  const result = { ...given };
  for (const details of await tx.featureFieldDetails.listByPolicy(policy.id)) {
    if (details.relativeDefault && dateFields.includes(details.name) && result[details.name] === undefined) {
      result[details.name] = applyRelativeTime(now, details.relativeDefault).toISOString();
    }
  }
  return result;
}
