import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Customer } from '../model.js';
import type { Store } from '../ports.js';
import { newEvent } from '../record-event.js';
import { stripUndefined } from '../strip-undefined.js';

export interface CustomerInput {
  name?: string;
  email?: string | null;
  company?: string | null;
}

const normalize = (input: CustomerInput) =>
  stripUndefined({
    ...input,
    email: typeof input.email === 'string' ? input.email.trim().toLowerCase() : input.email,
  });

export class CustomerService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async create(actor: Actor, input: CustomerInput & { name: string }): Promise<Customer> {
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const { email = null, company = null } = normalize(input);
      const customer = await tx.customers.insert({ name: input.name, email, company, createdAt: now });
      await tx.events.append(newEvent('customer.created', actor, now, {}, { customerId: customer.id }));
      return customer;
    });
  }

  async get(id: number): Promise<Customer> {
    const customer = await this.deps.store.customers.findById(id);
    if (!customer) throw new DomainError('NOT_FOUND', `customer ${id} does not exist`);
    return customer;
  }

  list(query: { email: string | null; after: number | null; limit: number }): Promise<Customer[]> {
    return this.deps.store.customers.list({ ...query, email: query.email?.trim().toLowerCase() ?? null });
  }

  async update(actor: Actor, id: number, changes: CustomerInput): Promise<Customer> {
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const customer = await tx.customers.update(id, normalize(changes));
      if (!customer) throw new DomainError('NOT_FOUND', `customer ${id} does not exist`);
      await tx.events.append(newEvent('customer.updated', actor, now, {}, { customerId: id }));
      return customer;
    });
  }

  /** Licenses of a deleted customer stay; they just lose their customer. */
  async delete(actor: Actor, id: number): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.customers.delete(id)))
        throw new DomainError('NOT_FOUND', `customer ${id} does not exist`);
      await tx.events.append(newEvent('customer.deleted', actor, now, {}, { customerId: id }));
    });
  }
}
