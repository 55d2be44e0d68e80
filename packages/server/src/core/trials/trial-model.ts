/** Trials of a policy's app before a license is bought, and codes that lengthen them. */

/** What an app shows and offers for a policy before a key is entered. */
export interface PolicyProfile {
  policyId: number;
  /** Length of a trial of the policy's app; 0 = the policy offers no trial. */
  trialSeconds: number;
  /** Tells the user where to find their license key (shown by the app's activation dialog). */
  whereIsKey: string | null;
  /** Where the user buys a license. */
  buyUrl: string | null;
}

/**
 * A verified trial: one machine's trial of a policy, recorded by the server, so reinstalling the app or
 * wiping its local state does not start the trial again.
 */
export interface VerifiedTrial {
  id: number;
  policyId: number;
  fingerprint: string;
  ip: string | null;
  platform: string | null;
  isVm: boolean;
  startedAt: Date;
  expiresAt: Date;
  extensionCount: number;
}

/**
 * A code that lengthens a trial. Online codes are short and redeemed against the server, which counts their
 * uses; offline codes carry their terms signed with the server's Ed25519 key, so apps check them alone.
 */
export interface TrialExtension {
  id: number;
  policyId: number;
  code: string;
  isOnline: boolean;
  /** Only lengthens verified trials. */
  isForVerifiedTrials: boolean;
  lengthSeconds: number;
  /** The code cannot be redeemed from this instant on. */
  redeemableUntil: Date;
  /** The vendor's own reference of the customer the code was made for. */
  customerRef: string | null;
  /** 0 = unlimited. Offline codes cannot be counted, so they have 0. */
  maxUses: number;
  useCount: number;
  createdAt: Date;
}

/** A feature field's identity and description beyond its type, kept by the catalog. */
export interface FeatureFieldDetails {
  /** Stable across renames. */
  id: number;
  policyId: number;
  name: string;
  description: string | null;
  /** Apps may read the value (it goes into signed activation data); false keeps it on the server. */
  isAppReadable: boolean;
  /** Date fields: a default relative to the license's creation, e.g. `+ 22 days`; wins over the static one. */
  relativeDefault: string | null;
}
