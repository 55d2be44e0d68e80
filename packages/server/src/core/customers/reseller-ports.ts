import type { Reseller } from '../model.js';

/** Resellers: who sells a vendor's licenses on its behalf. */

export interface ResellerRepository {
  insert(input: Omit<Reseller, 'id'>): Promise<Reseller>;
  findById(id: number): Promise<Reseller | null>;
  list(input: { after: number | null; limit: number }): Promise<Reseller[]>;
  update(id: number, changes: Partial<Omit<Reseller, 'id' | 'createdAt'>>): Promise<Reseller | null>;
  delete(id: number): Promise<boolean>;
}

/** The repository above, as `Repositories` holds it. */
export interface ResellerRepositories {
  resellers: ResellerRepository;
}
