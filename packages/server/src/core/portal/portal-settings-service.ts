import type { Actor } from '../access/actor.js';
import { assertAccountWide, assertScope } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { newEvent } from '../events/record-event.js';
import type { Store } from '../ports.js';
import type { PortalSettings } from './portal-ports.js';
import {
  changedPortalSettings,
  DEFAULT_PORTAL_SETTINGS,
  type PortalSettingsInput,
} from './portal-settings.js';

/** How the vendor sets up the customer portal: on or off, name, colours, logo, and what customers may do. */
export class PortalSettingsService {
  /** The base of the links the portal mails (KEYWARD_PUBLIC_URL); null when the operator set none. */
  readonly publicUrl: string | null;

  constructor(private readonly deps: { store: Store; clock: Clock; publicUrl: string | null }) {
    this.publicUrl = deps.publicUrl;
  }

  async get(actor: Actor): Promise<PortalSettings> {
    assertScope(actor.principal, 'portal:read');
    // The portal serves every product's customers: a locked token neither reads nor changes it.
    assertAccountWide(actor.principal);
    return this.current();
  }

  async update(actor: Actor, input: PortalSettingsInput): Promise<PortalSettings> {
    assertScope(actor.principal, 'portal:write');
    assertAccountWide(actor.principal);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = (await tx.portalSettings.get()) ?? DEFAULT_PORTAL_SETTINGS;
      const next = changedPortalSettings(current, input, now);
      await tx.portalSettings.save(next);
      await tx.events.append(
        newEvent(
          'portal.settings_changed',
          actor,
          now,
          {},
          {
            isEnabled: next.isEnabled,
            allowedActions: next.allowedActions,
          },
        ),
      );
      return next;
    });
  }

  /** The settings in force, for the portal itself and its public branding (no caller: nothing secret). */
  async current(): Promise<PortalSettings> {
    return (await this.deps.store.portalSettings.get()) ?? DEFAULT_PORTAL_SETTINGS;
  }
}
