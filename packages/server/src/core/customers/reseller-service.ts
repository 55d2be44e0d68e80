import type { Actor } from '../access/actor.js';
import { assertScope, type Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Reseller } from '../model.js';
import type { Store } from '../ports.js';
import { stripUndefined } from '../strip-undefined.js';

export interface ResellerInput {
  name?: string;
  url?: string | null;
  email?: string | null;
  phone?: string | null;
  description?: string | null;
}

/** Resellers a license may name (Cryptolens' ChangeReseller, and the Reseller in its license object). */
export class ResellerService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async create(actor: Actor, input: ResellerInput & { name: string }): Promise<Reseller> {
    assertScope(actor.principal, 'customers:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const reseller = await tx.resellers.insert({
        name: input.name,
        url: input.url ?? null,
        email: input.email?.trim().toLowerCase() ?? null,
        phone: input.phone ?? null,
        description: input.description ?? null,
        createdAt: now,
      });
      await tx.events.append(newEvent('reseller.created', actor, now, {}, { resellerId: reseller.id }));
      return reseller;
    });
  }

  async get(id: number): Promise<Reseller> {
    const reseller = await this.deps.store.resellers.findById(id);
    if (!reseller) throw new DomainError('NOT_FOUND', `reseller ${id} does not exist`);
    return reseller;
  }

  /**
   * The reseller with this id, or null, to name it on a license. Any credential that may change a license
   * may name its reseller (a shop's product-locked token attributes the keys it creates), and whoever reaches
   * a license sees its reseller; managing resellers themselves needs an unlocked credential.
   */
  async find(principal: Principal | null, id: number): Promise<Reseller | null> {
    if (principal === null) throw new DomainError('FORBIDDEN', 'naming a reseller needs a credential');
    return this.deps.store.resellers.findById(id);
  }

  list(page: { after: number | null; limit: number }): Promise<Reseller[]> {
    return this.deps.store.resellers.list(page);
  }

  async update(actor: Actor, id: number, changes: ResellerInput): Promise<Reseller> {
    assertScope(actor.principal, 'customers:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const email = typeof changes.email === 'string' ? changes.email.trim().toLowerCase() : changes.email;
      const reseller = await tx.resellers.update(id, stripUndefined({ ...changes, email }));
      if (!reseller) throw new DomainError('NOT_FOUND', `reseller ${id} does not exist`);
      await tx.events.append(newEvent('reseller.updated', actor, now, {}, { resellerId: id }));
      return reseller;
    });
  }

  /** Licenses of a deleted reseller stay; they just lose their reseller. */
  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'customers:write');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.resellers.delete(id)))
        throw new DomainError('NOT_FOUND', `reseller ${id} does not exist`);
      await tx.events.append(newEvent('reseller.deleted', actor, now, {}, { resellerId: id }));
    });
  }
}
