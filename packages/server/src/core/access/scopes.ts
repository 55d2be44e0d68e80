/** What an API token may do. `*` grants everything; append only. */
export const SCOPES = [
  '*',
  'products:read',
  'products:write',
  'policies:read',
  'policies:write',
  'licenses:read',
  'licenses:write',
  'licenses:validate',
  'machines:read',
  'machines:write',
  'customers:read',
  'customers:write',
  'data-objects:read',
  'data-objects:write',
  'events:read',
  'tokens:read',
  'tokens:write',
  'messages:read',
  'messages:write',
  'webhooks:read',
  'webhooks:write',
  'imports:read',
  'imports:write',
  'analytics:read',
  'analytics:write',
  'portal:read',
  'portal:write',
  'email:read',
  'email:write',
  'payments:read',
  'payments:write',
] as const;

export type Scope = (typeof SCOPES)[number];

/**
 * What a license key presented as the credential holds (apps whose policy allows the key as credential): what an
 * app does with its own license — validate it, check out a file, take, read, keep and give back its seats.
 * Everything else needs a token.
 */
export const LICENSE_KEY_SCOPES: readonly Scope[] = ['licenses:validate', 'machines:read', 'machines:write'];

export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes('*') || granted.includes(needed);
}
