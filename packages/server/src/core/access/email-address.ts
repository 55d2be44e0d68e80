import { DomainError } from '../domain-error.js';

/**
 * An email address a person types to sign in (dashboard users, the customer portal): trimmed, lower-cased and
 * roughly shaped like one, or INVALID_INPUT naming `email`.
 */
export function signInEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length < 3 || trimmed.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(trimmed)) {
    throw new DomainError('INVALID_INPUT', 'give an email address such as name@example.com', {
      field: 'email',
    });
  }
  return trimmed;
}
