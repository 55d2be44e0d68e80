import type { Store } from '../ports.js';

/** What the readiness check asks: whether this server can serve requests now. */
export class HealthService {
  constructor(private readonly deps: { store: Store }) {}

  /** True when the database answers a cheap round trip. */
  async isDatabaseReachable(): Promise<boolean> {
    try {
      await this.deps.store.ping();
      return true;
    } catch {
      return false;
    }
  }
}
