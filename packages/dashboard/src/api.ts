/** The native API, as the dashboard uses it: same origin, the session cookie, and its CSRF token. */

import type { Page, SessionState } from './generated/api-types';

// The API's answers, generated from the server's OpenAPI document (`npm run generate`).
export type {
  AnalyticsEvent,
  Customer,
  DashboardUser,
  DataObject,
  DomainEvent,
  EmailKind,
  EmailMessage,
  EmailSettings,
  EmailStatus,
  EmailTemplate,
  EmailTemplateList,
  EmailTestResult,
  EventSeries,
  FeatureField,
  FeatureType,
  FeatureValue,
  ImportJob,
  ImportKind,
  License,
  LicenseList,
  LicenseStatus,
  LicenseTemplate,
  Machine,
  Message,
  OfflineAnswer,
  Overview,
  Page,
  PaymentConnection,
  PaymentEvent,
  PaymentItemMapping,
  Policy,
  PortalSettings,
  Product,
  Reseller,
  Role,
  SessionState,
  SigningKey,
  Tally,
  Token,
  Webhook,
  WebhookDelivery,
} from './generated/api-types';

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
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);
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
