import { randomBytes } from 'node:crypto';
import type { Actor } from '../access/actor.js';
import {
  assertMayReachCustomers,
  assertScope,
  assertUnrestricted,
  type Principal,
} from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Customer, License } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import { hashToken } from '../signing/secrets.js';
import { stripUndefined } from '../strip-undefined.js';

export interface CustomerInput {
  name?: string;
  email?: string | null;
  company?: string | null;
  notes?: string | null;
}

const normalize = (input: CustomerInput) =>
  stripUndefined({
    ...input,
    email: typeof input.email === 'string' ? input.email.trim().toLowerCase() : input.email,
  });

export class CustomerService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async create(actor: Actor, input: CustomerInput & { name: string }): Promise<Customer> {
    assertScope(actor.principal, 'customers:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const { email = null, company = null, notes = null } = normalize(input);
      const customer = await tx.customers.insert({
        name: input.name,
        email,
        company,
        createdAt: now,
        ...(notes !== null ? { notes } : {}),
      });
      await tx.events.append(newEvent('customer.created', actor, now, {}, { customerId: customer.id }));
      return customer;
    });
  }

  /** Customers span products: only an unlocked credential reads them. */
  async get(principal: Principal | null, id: number): Promise<Customer> {
    assertScope(principal, 'customers:read');
    assertUnrestricted(principal);
    const customer = await this.deps.store.customers.findById(id);
    if (!customer) throw new DomainError('NOT_FOUND', `customer ${id} does not exist`);
    return customer;
  }

  /**
   * The customer with this id, or null. Customers span products, so only a credential without product or
   * license locks reaches them: any other is refused whether the customer exists or not.
   */
  async find(principal: Principal | null, id: number): Promise<Customer | null> {
    assertScope(principal, 'customers:read');
    assertMayReachCustomers(principal);
    return this.deps.store.customers.findById(id);
  }

  /**
   * Whether the customer with this id exists, for a change that names one and answers a missing customer
   * before reading the rest of its input (Cryptolens' EditCustomer and RemoveCustomer; ChangeCustomer, which
   * dissociates an unknown one). It tells no more than those changes do, so it asks no read scope: theirs is
   * asked. Locked credentials are refused as by find.
   */
  async exists(principal: Principal | null, id: number): Promise<boolean> {
    assertMayReachCustomers(principal);
    return (await this.deps.store.customers.findById(id)) !== null;
  }

  list(
    principal: Principal | null,
    query: { email: string | null; after: number | null; limit: number },
  ): Promise<Customer[]> {
    assertScope(principal, 'customers:read');
    assertUnrestricted(principal);
    return this.deps.store.customers.list({ ...query, email: query.email?.trim().toLowerCase() ?? null });
  }

  async update(actor: Actor, id: number, changes: CustomerInput): Promise<Customer> {
    assertScope(actor.principal, 'customers:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const customer = await tx.customers.update(id, normalize(changes));
      if (!customer) throw new DomainError('NOT_FOUND', `customer ${id} does not exist`);
      await tx.events.append(newEvent('customer.updated', actor, now, {}, { customerId: id }));
      return customer;
    });
  }

  /**
   * Inside a transaction that just created `licenses`: gives them a customer made from `input`, or — with
   * `reuseByEmail` — the oldest customer that has the same email. Creating licenses for a new customer
   * (Cryptolens' CreateKey with NewCustomer) is then one all-or-nothing write.
   */
  async assignToNewLicenses(
    tx: Repositories,
    actor: Actor,
    now: Date,
    licenses: License[],
    input: CustomerInput & { name: string; reuseByEmail: boolean },
  ): Promise<{ customer: Customer; licenses: License[] }> {
    assertScope(actor.principal, 'customers:write');
    const { email = null, company = null, notes = null } = normalize(input);
    const reused =
      input.reuseByEmail && email !== null
        ? ((await tx.customers.list({ email, after: null, limit: 1 }))[0] ?? null)
        : null;
    const customer =
      reused ??
      (await tx.customers.insert({
        name: input.name,
        email,
        company,
        createdAt: now,
        ...(notes !== null ? { notes } : {}),
      }));
    if (!reused) {
      await tx.events.append(newEvent('customer.created', actor, now, {}, { customerId: customer.id }));
    }
    const updated: License[] = [];
    for (const license of licenses) {
      updated.push(await tx.licenses.update(license.id, { customerId: customer.id, updatedAt: now }));
    }
    return { customer, licenses: updated };
  }

  /**
   * Gives the customer a new secret (for Cryptolens' GetCustomerLicensesBySecret), replacing any old one. The
   * secret is in the answer once and kept only as a hash.
   */
  async issueSecret(actor: Actor, id: number): Promise<string> {
    assertScope(actor.principal, 'customers:write');
    const secret = randomBytes(24).toString('base64url');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.customers.setSecretHash(id, hashToken(secret)))) {
        throw new DomainError('NOT_FOUND', `customer ${id} does not exist`);
      }
      await tx.events.append(newEvent('customer.secret_issued', actor, now, {}, { customerId: id }));
    });
    return secret;
  }

  async getBySecret(principal: Principal | null, secret: string): Promise<Customer> {
    assertScope(principal, 'customers:read');
    assertUnrestricted(principal);
    const customer =
      secret === '' ? null : await this.deps.store.customers.findBySecretHash(hashToken(secret));
    if (!customer) throw new DomainError('NOT_FOUND', 'no customer has this secret');
    return customer;
  }

  /** Licenses of a deleted customer stay; they just lose their customer. */
  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'customers:write');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.customers.delete(id)))
        throw new DomainError('NOT_FOUND', `customer ${id} does not exist`);
      await tx.events.append(newEvent('customer.deleted', actor, now, {}, { customerId: id }));
    });
  }
}
