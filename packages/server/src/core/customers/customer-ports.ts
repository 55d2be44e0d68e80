import type { Customer } from '../model.js';

/** Customers: the people and companies licenses are issued to. */

export interface CustomerRepository {
  insert(input: Omit<Customer, 'id'>): Promise<Customer>;
  findById(id: number): Promise<Customer | null>;
  list(input: { email: string | null; after: number | null; limit: number }): Promise<Customer[]>;
  update(id: number, changes: Partial<Omit<Customer, 'id' | 'createdAt'>>): Promise<Customer | null>;
  delete(id: number): Promise<boolean>;
  /** Customer secrets are kept only as a hash; null clears it. */
  setSecretHash(id: number, secretHash: string | null): Promise<boolean>;
  findBySecretHash(secretHash: string): Promise<Customer | null>;
}

/** The repository above, as `Repositories` holds it. */
export interface CustomerRepositories {
  customers: CustomerRepository;
}
