import type { LicenseVersion } from '../../core/machines/license-version.js';
import type { License, Machine } from '../../core/model.js';

/**
 * What a write changed, as far as the read cache cares: the licenses (with their machines), the machines
 * (known by id only, such as a deactivation), the policies, API tokens and products it touched, or `everything`
 * (a delete that cascades, a bulk change). The same shape arrives from this process's own writes
 * (change-marks.ts) and from other processes over the change feed (the database's triggers).
 */
export interface CacheChange {
  licenses?: readonly number[];
  machines?: readonly number[];
  policies?: readonly number[];
  tokens?: readonly number[];
  products?: readonly number[];
  /** Data objects known by id only (a delete); a license's own are named by their license. */
  dataObjects?: readonly number[];
  everything?: boolean;
  /** Validation's bookkeeping: these licenses were last validated at `at` (no change of what decides). */
  validated?: { ids: readonly number[]; at: Date };
  /**
   * A guarded activation this process committed (machines.activateIfUnchanged): the license as written, its
   * new machine, and the version it was decided on. Only from this process's own commits (change-marks.ts):
   * where a commit is not known to have stood, it is applied as an invalidation of the license instead.
   */
  activated?: { license: License; machine: Machine; before: LicenseVersion };
}

/** The same change as plain invalidations: what it named, with nothing kept in place. */
export function asInvalidation({ activated, ...change }: CacheChange): CacheChange {
  return activated ? { ...change, licenses: [...(change.licenses ?? []), activated.license.id] } : change;
}

const KINDS = { l: 'licenses', m: 'machines', p: 'policies', t: 'tokens', c: 'products' } as const;
type Kind = keyof typeof KINDS;

/** Ids a change feed message may name before it says "everything" instead (a NOTIFY payload is ≤ 8000 bytes). */
export const MAX_IDS_PER_MESSAGE = 500;

/**
 * A feed message: `*` (everything) or `<kind>:<id>,<id>…` with kind l, m, p, t or c, as the triggers of
 * migrations 016, 021 and 022 write it. Anything else is read as "everything": an unreadable message must never
 * leave a stale entry behind.
 */
export function parseChangeMessage(message: string): CacheChange {
  const kind = message.slice(0, 1) as Kind;
  const list = message.slice(2);
  if (message.slice(1, 2) !== ':' || !(kind in KINDS) || !/^\d{1,15}(,\d{1,15})*$/.test(list))
    return { everything: true };
  return { [KINDS[kind]]: list.split(',').map(Number) };
}

/** One change of a kind, as the SQLite change log stores it (kind, id). */
export function changeOfRow(kind: string, id: number): CacheChange {
  return kind in KINDS ? { [KINDS[kind as Kind]]: [id] } : { everything: true };
}
