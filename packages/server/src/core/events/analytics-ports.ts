/**
 * Feature-usage analytics: events an app reports about itself (Cryptolens' ai/RegisterEvent) — "the report
 * module was opened", "a purchase of 30 USD" — kept apart from the audit log (`events`), which records what
 * changed. They are read back by product, license and machine, never delivered to webhooks.
 */

export interface AnalyticsEvent {
  id: number;
  /** Null for an event that named no product (only an unrestricted token may register one). */
  productId: number | null;
  /** The license the event named; null when it named none or the license was deleted since. */
  licenseId: number | null;
  /** That license's key, read with the event. */
  key: string | null;
  machineCode: string | null;
  featureName: string | null;
  eventName: string | null;
  /** A whole number (Cryptolens sends cents: 2530 for 25.30). */
  value: number;
  currency: string | null;
  /** Free text the app sent, JSON or not; never interpreted. */
  metadata: string | null;
  ip: string | null;
  tokenId: number | null;
  createdAt: Date;
}

export type NewAnalyticsEvent = Omit<AnalyticsEvent, 'id' | 'key'>;

export interface AnalyticsEventQuery {
  /** Only events of these products (a product-locked reader); null: every event, also those of no product. */
  productIds: number[] | null;
  licenseId?: number | undefined;
  machineCode?: string | undefined;
  featureName?: string | undefined;
  eventName?: string | undefined;
  metadata?: string | undefined;
  /** Registered at or after. */
  since?: Date | undefined;
  /** Ids strictly above / below (cursors). */
  afterId?: number | undefined;
  beforeId?: number | undefined;
  /** By id: `desc` newest first. */
  order: 'asc' | 'desc';
  limit: number;
}

export interface AnalyticsEventRepository {
  insert(event: NewAnalyticsEvent): Promise<AnalyticsEvent>;
  list(query: AnalyticsEventQuery): Promise<AnalyticsEvent[]>;
}

/** The repositories above, as `Repositories` holds them. */
export interface AnalyticsRepositories {
  analyticsEvents: AnalyticsEventRepository;
}
