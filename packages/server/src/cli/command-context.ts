import type { Actor } from '../core/access/actor.js';
import { isDomainError } from '../core/domain-error.js';
import type { Keyward } from '../core/keyward.js';
import type { License } from '../core/model.js';
import type { KeywardStore } from '../storage/create-store.js';
import type { Output } from './output.js';

/** Opens the configured database for one command and always closes it. */
export type WithKeyward = <T>(work: (keyward: Keyward, store: KeywardStore) => Promise<T>) => Promise<T>;

/** What every command group is given: the domain, where to print, and who acts (the operator). */
export interface CommandContext {
  withKeyward: WithKeyward;
  output: Output;
  actor: Actor;
}

/** A license named by its id or its key, as people type them; core answers LICENSE_NOT_FOUND for neither. */
export async function licenseNamed(keyward: Keyward, idOrKey: string): Promise<License> {
  if (/^\d{1,10}$/.test(idOrKey)) {
    const byId = await keyward.licenses.get(Number(idOrKey)).catch((error: unknown) => {
      if (isDomainError(error) && error.code === 'LICENSE_NOT_FOUND') return null;
      throw error;
    });
    if (byId) return byId;
  }
  return keyward.licenses.getByKey(idOrKey);
}

/** Reads every page of a list until `limit` items are read (the store pages by id). */
export async function readPages<T extends { id: number }>(
  limit: number,
  read: (page: { after: number | null; limit: number }) => Promise<T[]>,
): Promise<T[]> {
  const PAGE = 1000;
  const items: T[] = [];
  let after: number | null = null;
  while (items.length < limit) {
    const want = Math.min(PAGE, limit - items.length);
    const batch = await read({ after, limit: want });
    items.push(...batch);
    const last = batch[batch.length - 1];
    if (!last || batch.length < want) break;
    after = last.id;
  }
  return items;
}
