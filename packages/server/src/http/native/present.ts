import type { ApiTokenRecord } from '../../core/access/token-ports.js';
import type { LicenseStatus } from '../../core/licenses/license-status.js';
import type { LicenseWithStatus } from '../../core/licenses/license-view.js';
import type {
  Customer,
  DataObject,
  DomainEvent,
  License,
  Machine,
  Policy,
  Product,
} from '../../core/model.js';
import type { ReachablePage } from '../../core/paged.js';
import type { PublicSigningKey } from '../../core/signing/signing-key-service.js';

/** Domain objects as the native API shows them: ISO-8601 instants, no secrets. */

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export const presentProduct = (p: Product) => ({ ...p, createdAt: p.createdAt.toISOString() });

export const presentPolicy = (p: Policy) => ({ ...p, createdAt: p.createdAt.toISOString() });

export const presentCustomer = (c: Customer) => ({ ...c, createdAt: c.createdAt.toISOString() });

/**
 * Presenting a license copies it and formats six instants: ~10 µs with a machine, most of a cached validation's
 * own work. The read cache's licenses and machines are frozen and shared by every request until they change,
 * so the presentation of a frozen one is kept beside it (by identity, and for a license with the status it was
 * presented with, the one part that is not its own) and frozen in turn. Anything else is presented afresh.
 */
function keptFor<T extends object, V, R>(present: (value: T, variant: V) => R): (value: T, variant: V) => R {
  const kept = new WeakMap<T, { variant: V; presented: R }>();
  return (value, variant) => {
    if (!Object.isFrozen(value)) return present(value, variant);
    const known = kept.get(value);
    if (known && known.variant === variant) return known.presented;
    const presented = Object.freeze(present(value, variant));
    kept.set(value, { variant, presented });
    return presented;
  };
}

const presentedLicense = keptFor((l: License, status: LicenseStatus) => ({
  ...l,
  status,
  expiresAt: iso(l.expiresAt),
  firstActivatedAt: iso(l.firstActivatedAt),
  revokedAt: iso(l.revokedAt),
  createdAt: l.createdAt.toISOString(),
  updatedAt: l.updatedAt.toISOString(),
  lastValidatedAt: iso(l.lastValidatedAt),
}));

/** A license as core states it: its status comes from core, read at the instant core read the license. */
export const presentLicense = ({ license, status }: LicenseWithStatus) => presentedLicense(license, status);

const presentedMachine = keptFor((m: Machine, _: null) => ({
  ...m,
  createdAt: m.createdAt.toISOString(),
  lastSeenAt: m.lastSeenAt.toISOString(),
  leaseExpiresAt: iso(m.leaseExpiresAt),
  expiresAt: iso(m.expiresAt),
  deactivatedAt: iso(m.deactivatedAt),
}));

export const presentMachine = (m: Machine) => presentedMachine(m, null);

export const presentDataObject = (d: DataObject) => ({ ...d });

export const presentEvent = (e: DomainEvent) => ({ ...e, createdAt: e.createdAt.toISOString() });

export const presentToken = (t: ApiTokenRecord) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  scopes: t.scopes,
  productIds: t.productIds,
  licenseId: t.licenseId,
  ipAllowlist: t.ipAllowlist,
  bindToFirstIp: t.bindToFirstIp,
  boundIp: t.boundIp,
  source: t.source,
  expiresAt: iso(t.expiresAt),
  revokedAt: iso(t.revokedAt),
  createdAt: t.createdAt.toISOString(),
  ...(t.methodLock ? { methodLock: t.methodLock } : {}),
  ...(t.featureLock ? { featureLock: t.featureLock } : {}),
  ...(t.canIssueLicenseTokens ? { canIssueLicenseTokens: true } : {}),
  ...(t.maxClientAddresses != null ? { maxClientAddresses: t.maxClientAddresses } : {}),
  ...(t.activationAllowance != null
    ? { activationAllowance: t.activationAllowance, activationsGranted: t.activationsGranted ?? 0 }
    : {}),
  ...(t.isDormant ? { isDormant: true } : {}),
});

export const presentSigningKey = (k: PublicSigningKey) => ({ ...k, createdAt: k.createdAt.toISOString() });

/** The `nextCursor` of a page core kept to what the caller reaches: the id it moved past, as text. */
export function cursorOf(page: ReachablePage<unknown>): string | null {
  return page.nextAfter === null ? null : String(page.nextAfter);
}

/** Cursor pages: the cursor is the id of the last item, as text. */
export function page<T extends { id: number }, R>(items: T[], limit: number, present: (item: T) => R) {
  const last = items[items.length - 1];
  return { data: items.map(present), nextCursor: items.length === limit && last ? String(last.id) : null };
}
