import type { DashboardRole } from './dashboard-ports.js';
import { SCOPES, type Scope } from './scopes.js';

export const DASHBOARD_ROLES = ['admin', 'support', 'read-only'] as const satisfies readonly DashboardRole[];

const READ_SCOPES = SCOPES.filter((s) => s.endsWith(':read'));

/**
 * What each dashboard role may do, in API scopes: the session of a user acts on the native API like a token
 * holding these. Support staff read everything and manage machines (deactivate one for a customer); admins
 * hold everything.
 */
export function scopesOfRole(role: DashboardRole): Scope[] {
  switch (role) {
    case 'admin':
      return ['*'];
    case 'support':
      return [...READ_SCOPES, 'machines:write'];
    case 'read-only':
      return [...READ_SCOPES];
  }
}

export function isDashboardRole(value: string): value is DashboardRole {
  return (DASHBOARD_ROLES as readonly string[]).includes(value);
}
