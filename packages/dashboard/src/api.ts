/** The native API, as the dashboard uses it: same origin, the session cookie, and its CSRF token. */

export type Role = 'admin' | 'support' | 'read-only';

export interface SessionState {
  signedIn: boolean;
  user?: { id: number; email: string; role: Role; lastSignInAt: string | null };
  scopes?: string[];
  csrfToken?: string;
  expiresAt?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Product {
  id: number;
  name: string;
  code: string | null;
  createdAt: string;
}

export type FeatureType = 'string' | 'integer' | 'boolean' | 'date';
export type FeatureValue = string | number | boolean;

export interface FeatureField {
  name: string;
  type: FeatureType;
  isRequired: boolean;
  defaultValue: FeatureValue | null;
}

export interface Policy {
  id: number;
  productId: number;
  name: string;
  maxMachines: number;
  maxDeactivations: number;
  isFloating: boolean;
  leaseSeconds: number;
  maxOverdraft: number;
  allowVm: boolean;
  durationSeconds: number | null;
  expirationBasis: string;
  activationValiditySeconds: number | null;
  isTrial: boolean;
  allowLicenseAuth: boolean;
  keyFormat: string;
  featureFields: FeatureField[];
  createdAt: string;
}

export type LicenseStatus = 'active' | 'suspended' | 'revoked' | 'expired';

export interface License {
  id: number;
  key: string;
  policyId: number;
  productIds: number[];
  customerId: number | null;
  email: string | null;
  notes: string | null;
  alias: string | null;
  status: LicenseStatus;
  expiresAt: string | null;
  firstActivatedAt: string | null;
  isSuspended: boolean;
  revokedAt: string | null;
  activationCount: number;
  deactivationCount: number;
  resetCount: number;
  features: Record<string, FeatureValue>;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  lastValidatedAt: string | null;
}

/** GET /v1/licenses?withTotal=true: a page, and how many licenses match (counting stops past 10,000). */
export interface LicenseList extends Page<License> {
  total?: number;
  isTotalExact?: boolean;
}

export interface Machine {
  id: number;
  licenseId: number;
  fingerprint: string;
  name: string | null;
  ip: string | null;
  platform: string | null;
  isVm: boolean;
  createdAt: string;
  lastSeenAt: string;
  deactivatedAt: string | null;
}

export interface Customer {
  id: number;
  name: string;
  email: string | null;
  company: string | null;
  createdAt: string;
}

export interface Token {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  productIds: number[];
  licenseId: number | null;
  ipAllowlist: string[];
  bindToFirstIp: boolean;
  source: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface DomainEvent {
  id: number;
  type: string;
  licenseId: number | null;
  productId: number | null;
  machineId: number | null;
  tokenId: number | null;
  code: string | null;
  ip: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

export interface DataObject {
  id: number;
  ownerType: string;
  ownerId: number;
  name: string;
  intValue: number;
  stringValue: string;
}

export interface SigningKey {
  id: number;
  algorithm: string;
  publicKeyPem: string;
  publicKeyXml: string | null;
  createdAt: string;
}

export interface Overview {
  products: number;
  policies: number;
  customers: number;
  licenses: number;
  activeLicenses: number;
  suspendedLicenses: number;
  revokedLicenses: number;
  expiredLicenses: number;
  activeMachines: number;
}

export interface EventSeries {
  since: string;
  until: string;
  bucketSeconds: number;
  buckets: Array<{ start: string; type: string; count: number }>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session has ended, so the app can show the sign-in page. */
export function onSessionEnded(handler: () => void): void {
  onSignedOut = handler;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and retry.', null);
  }
  const text = await response.text();
  const json = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; requestId?: string } } | undefined)
      ?.error;
    if (response.status === 401 && path !== '/session') onSignedOut();
    throw new ApiError(
      response.status,
      error?.code ?? 'HTTP_ERROR',
      error?.message ?? `The server answered ${response.status}.`,
      error?.requestId ?? null,
    );
  }
  return json as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', withQuery(path, query));
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** Every page of a list (products, policies, customers: small lists). */
export async function getAll<T>(path: string, query: Query = {}): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page: Page<T> = await get<Page<T>>(path, { ...query, limit: 1000, after });
    items.push(...page.data);
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  return items;
}

export function hasScope(session: SessionState, scope: string): boolean {
  const scopes = session.scopes ?? [];
  return scopes.includes('*') || scopes.includes(scope);
}
