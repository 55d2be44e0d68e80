import type { Scope } from '../core/access/scopes.js';
import type { TestApp } from './test-app.js';

/**
 * What one row of the native API's security table is (route-security.ts holds the table and the checks). Its
 * own file, so the files that add rows (integration and email cases) need not import the table they join.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The test files that run the cases: src/http/native/routes/<group>.test.ts. */
export const SECURITY_GROUPS = [
  'products',
  'policies',
  'customers',
  'licenses',
  'validation',
  'machines',
  'data-objects',
  'events',
  'tokens',
  'signing-keys',
  'license-templates',
  'resellers',
  'offline',
  'sessions',
  'stats',
  'webhooks',
  'imports',
  'messages',
  'dashboard-users',
  'analytics-events',
  'portal-settings',
  'email',
  'payment-connections',
] as const;
export type SecurityGroup = (typeof SECURITY_GROUPS)[number];

/** What the app holds before any case runs: every target sits under `productId`; locks point elsewhere. */
export interface SecurityFixture {
  productId: number;
  /** Tokens of the lock checks are locked to this product, or to `otherLicenseId` which lives on it. */
  otherProductId: number;
  /** Allows the key as a credential, unlimited machines. */
  policyId: number;
  licenseId: number;
  licenseKey: string;
  /** A license of the same product whose policy does not allow the key as a credential. */
  closedLicenseKey: string;
  otherLicenseId: number;
  otherLicenseKey: string;
  machineId: number;
  dataObjectId: number;
  customerId: number;
}

export interface SecurityContext {
  t: TestApp;
  fx: SecurityFixture;
  /** New targets, for requests that use up what they act on (delete, revoke, …). */
  fresh: {
    product(): Promise<number>;
    policy(): Promise<number>;
    license(): Promise<{ id: number; key: string }>;
    machine(): Promise<number>;
    dataObject(): Promise<number>;
    customer(): Promise<number>;
    token(): Promise<number>;
  };
  /** A unique suffix, for names and fingerprints that must not repeat. */
  unique(): string;
}

export interface SecurityRequest {
  url: string;
  payload?: unknown;
}

/** An answer other than the default refusal: a status, an error code, and/or a check of the body. */
export interface Expectation {
  status: number;
  code?: string;
  check?: (body: unknown, fx: SecurityFixture) => void;
  /** The expectation is what the code should do but does not; the check runs as `it.fails`. */
  knownBug?: string;
}

export interface RouteSecurityCase {
  group: SecurityGroup;
  method: HttpMethod;
  /** The route pattern as registered, e.g. /v1/licenses/:id. */
  route: string;
  /** The scope a bearer token needs, or `public` for routes that need no credential. */
  scope: Scope | 'public';
  /** Accepts `Authorization: License <key>` when the license's policy allows it. */
  licenseKey?: boolean;
  /** A valid request with the admin token (fresh targets are created per call). */
  request(ctx: SecurityContext): SecurityRequest | Promise<SecurityRequest>;
  /** Routes with an optional credential answer anonymous callers themselves. Default: 401 UNAUTHENTICATED. */
  anonymous?: Expectation;
  /** A token with the scope but locked to another product. Default: the answer for a missing target. */
  productLocked?: Expectation;
  /** A token with the scope but locked to another license. Default: the answer for a missing target. */
  licenseLocked?: Expectation;
  /**
   * The same request naming targets that do not exist; by default, the URL's ids replaced by unused ones.
   * A locked token must get the same answer for both.
   */
  missing?(ctx: SecurityContext): SecurityRequest | Promise<SecurityRequest>;
  /** The operation in the method-lock vocabulary the route declares (`key/activate`); absent: none. */
  operation?: string;
}
