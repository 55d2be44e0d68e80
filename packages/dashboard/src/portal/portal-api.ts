/** The customer portal's API (/portal/api): same origin, the portal's session cookie, and its CSRF token. */

export interface Branding {
  isEnabled: boolean;
  displayName: string;
  primaryColor: string;
  accentColor: string;
  logoDataUrl: string | null;
  allowedActions: { deactivation: boolean; licenseFile: boolean; offlineActivation: boolean };
}

export interface PortalSession {
  email: string;
  csrfToken: string;
  expiresAt: string;
}

export interface PortalMachine {
  id: number;
  fingerprint: string;
  name: string | null;
  platform: string | null;
  isFloating: boolean;
  activatedAt: string;
  lastSeenAt: string;
  expiresAt: string | null;
}

export interface PortalPurchase {
  provider: 'stripe' | 'paddle' | 'lemonsqueezy';
  orderId: string | null;
  subscriptionId: string | null;
  status: 'paid' | 'active' | 'canceled' | 'reversed';
  periodEndsAt: string | null;
  purchasedAt: string;
}

export interface PortalLicense {
  id: number;
  key: string;
  status: string;
  expiresAt: string | null;
  daysLeft: number | null;
  productNames: string[];
  /** Where the license was bought, when it came from a payment. */
  purchases: PortalPurchase[];
  policyName: string;
  maxMachines: number;
  maxDeactivations: number;
  deactivationCount: number;
  machines: PortalMachine[];
}

export interface OfflineAnswer {
  type: 'activation' | 'deactivation';
  nonce: string;
  response: string | null;
  machineId: number;
}

export class PortalError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};

export async function portalApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/portal/api${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new PortalError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new PortalError(
      response.status,
      error?.code ?? 'HTTP_ERROR',
      error?.message ?? `The server answered ${response.status}.`,
    );
  }
  return json as T;
}
