import type { DomainEvent } from '../model.js';

/** The audit log: every change and refusal, as events. */

export interface EventFilter {
  type?: string | undefined;
  licenseId?: number | undefined;
  productId?: number | undefined;
  machineId?: number | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}
export interface EventRepository {
  append(event: Omit<DomainEvent, 'id'>): Promise<void>;
  appendMany(events: Omit<DomainEvent, 'id'>[]): Promise<void>;
  list(filter: EventFilter, input: { before: number | null; limit: number }): Promise<DomainEvent[]>;
}

/** The repository above, as `Repositories` holds it. */
export interface EventRepositories {
  events: EventRepository;
}
