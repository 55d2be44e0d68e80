import type { Customer } from '../model.js';

/**
 * What the customer portal needs from storage: its settings (one row), the one-time sign-in links it mails,
 * the sessions they open, and which licenses an email address owns. Links and sessions are kept only as
 * hashes of their secrets.
 */

/** What customers may do in the portal besides looking; the vendor switches each on or off. */
export const PORTAL_ACTIONS = ['deactivation', 'licenseFile', 'offlineActivation'] as const;
export type PortalAction = (typeof PORTAL_ACTIONS)[number];

export interface PortalSettings {
  isEnabled: boolean;
  /** The vendor's name as customers see it. */
  displayName: string;
  /** `#rrggbb`. */
  primaryColor: string;
  accentColor: string;
  /** A small PNG, JPEG, GIF or WebP image as a `data:` URL; null shows the name alone. */
  logoDataUrl: string | null;
  allowedActions: Record<PortalAction, boolean>;
  /** Null until the vendor first saves them. */
  updatedAt: Date | null;
}

export interface PortalSettingsRepository {
  /** The saved settings, or null before they were ever saved. */
  get(): Promise<PortalSettings | null>;
  save(settings: PortalSettings): Promise<void>;
}

export interface PortalSignInLinkRepository {
  insert(input: {
    tokenHash: string;
    email: string;
    expiresAt: Date;
    createdAt: Date;
    requesterIp: string | null;
  }): Promise<void>;
  /**
   * Marks the link with this hash used, if it is unused and not expired at `now`, and returns its email; null
   * otherwise. One statement: of two redeems of one link at once, in one process or several, one wins.
   */
  consume(tokenHash: string, now: Date): Promise<{ email: string } | null>;
  /** Deletes links that expired before `before`. */
  deleteExpired(before: Date): Promise<number>;
}

export interface PortalSession {
  id: number;
  email: string;
  createdAt: Date;
  /** The absolute end, however active the customer is. */
  expiresAt: Date;
  lastSeenAt: Date;
}

export interface PortalSessionRepository {
  insert(input: Omit<PortalSession, 'id'> & { tokenHash: string }): Promise<PortalSession>;
  findByHash(tokenHash: string): Promise<PortalSession | null>;
  touch(id: number, at: Date): Promise<void>;
  delete(id: number): Promise<void>;
  /** Deletes sessions past their absolute end or idle since before `idleBefore`. */
  deleteExpired(input: { now: Date; idleBefore: Date }): Promise<number>;
}

export interface PortalOwnershipRepository {
  /**
   * Ids of the licenses an email address owns: the license's own email is it, or its customer's is, compared
   * ignoring ASCII case; lowest id first. The one rule of what a portal customer reaches.
   */
  licenseIdsOf(email: string): Promise<number[]>;
  /** The first customer (lowest id) whose email is this address, ignoring ASCII case. */
  customerOf(email: string): Promise<Customer | null>;
}

/** The repositories above, as `Repositories` holds them. */
export interface PortalRepositories {
  portalSettings: PortalSettingsRepository;
  portalSignInLinks: PortalSignInLinkRepository;
  portalSessions: PortalSessionRepository;
  portalOwnership: PortalOwnershipRepository;
}
