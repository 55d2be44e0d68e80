/**
 * Objects handed out from the read cache are shared by every request that reads them: frozen, so code that
 * changed one in place would fail loudly instead of changing what other requests see. Dates are left as
 * they are (freezing one does not stop its setters).
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof Date || Object.isFrozen(value))
    return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
