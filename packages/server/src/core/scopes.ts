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
] as const;

export type Scope = (typeof SCOPES)[number];

export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes('*') || granted.includes(needed);
}
