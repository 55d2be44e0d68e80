import { type Actor, serverActor } from '../access/actor.js';
import type { CalendarPeriod } from '../licenses/calendar-period.js';
import type { FeatureField, FeatureValue } from '../model.js';

/**
 * What an import reads from another licensing service, in Keyward's terms: each source (import/) turns its
 * vendor's records into these, and the import services write them.
 */

export type ImportOutcome = 'created' | 'updated' | 'skipped';

export interface ImportedProduct {
  externalId: string;
  name: string;
  createdAt?: Date | undefined;
  /** Keep this id when it is free (a Cryptolens ProductId compiled into apps). */
  preferredId?: number | undefined;
}

export interface ImportedPolicy {
  externalId: string;
  productExternalId: string;
  name: string;
  maxMachines: number;
  maxDeactivations: number;
  allowVm: boolean;
  isFloating?: boolean;
  leaseSeconds?: number;
  featureFields: FeatureField[];
  keyFormat: string;
}

export interface ImportedCustomer {
  externalId: string;
  name: string;
  email: string | null;
  company: string | null;
  createdAt?: Date | undefined;
}

export interface ImportedMachine {
  fingerprint: string;
  name?: string | null | undefined;
  ip?: string | null | undefined;
  platform?: string | null | undefined;
  createdAt?: Date | undefined;
  /** A floating seat's lease. */
  leaseExpiresAt?: Date | null | undefined;
  expiresAt?: Date | null | undefined;
}

export interface ImportedDataObject {
  name: string;
  intValue: number;
  stringValue: string;
}

export interface ImportedLicense {
  key: string;
  policyExternalId: string;
  customerExternalId?: string | null | undefined;
  email?: string | null | undefined;
  notes?: string | null | undefined;
  alias?: string | null | undefined;
  expiresAt: Date | null;
  isSuspended: boolean;
  /** Seat limit override; null inherits the policy's. */
  maxMachines?: number | null | undefined;
  maxDeactivations?: number | null | undefined;
  isFloating?: boolean | null | undefined;
  features?: Record<string, FeatureValue> | undefined;
  tags?: string[] | undefined;
  allowedMachines?: string[] | undefined;
  createdAt?: Date | undefined;
  termSeconds?: number | null | undefined;
  hasTrialActivation?: boolean | undefined;
  /** Each new machine's activation is valid this long (AuthTool's multi-activation keys). */
  activationPeriod?: CalendarPeriod | undefined;
  activationCount?: number | undefined;
  deactivationCount?: number | undefined;
  machines?: ImportedMachine[] | undefined;
  dataObjects?: ImportedDataObject[] | undefined;
}

/** Who writes what an import of this kind reads, in events and in the job's summary. */
export const importActor = (kind: string): Actor => serverActor(`import:${kind}`);
