import { randomBytes } from 'node:crypto';
import type { Actor } from '../access/actor.js';
import { signInEmail } from '../access/email-address.js';
import { licenseNotFound } from '../access/principal.js';
import type { Clock } from '../clock.js';
import type { PurchaseStatus } from '../commerce/commerce-ports.js';
import type { PaymentProvider } from '../commerce/purchase-event.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { LicenseService } from '../licenses/license-service.js';
import type { LicenseView } from '../licenses/license-view.js';
import type { MachineService } from '../machines/machine-service.js';
import type { License, Machine } from '../model.js';
import type { Store } from '../ports.js';
import type { IssuedLicenseFile, LicenseFileService } from '../signing/license-file-service.js';
import type { OfflineService } from '../signing/offline-service.js';
import { hashToken, type SecretBox } from '../signing/secrets.js';
import { PortalLinkThrottle } from './portal-link-throttle.js';
import type { PortalAction, PortalSession, PortalSettings } from './portal-ports.js';
import type { PortalSettingsService } from './portal-settings-service.js';

/** A sign-in link works this long after it was asked for, once. */
export const LINK_SECONDS = 15 * 60;
/** A portal session ends this long after sign-in, however active… */
export const SESSION_SECONDS = 8 * 3600;
/** …and earlier once the customer has done nothing for this long. */
export const SESSION_IDLE_SECONDS = 30 * 60;
/** A session's last activity is written at most this often: reads stay reads. */
const TOUCH_EVERY_MS = 60_000;

const LINK_SECRET = /^kwl_[A-Za-z0-9_-]{43}$/;
const SESSION_SECRET = /^kwp_[A-Za-z0-9_-]{43}$/;
const secretOf = (prefix: 'kwl_' | 'kwp_') => `${prefix}${randomBytes(32).toString('base64url')}`;

/** Where the customer opens the link: the token travels in the fragment, which browsers send to no server. */
export const signInUrlOf = (publicUrl: string, token: string) => `${publicUrl}/portal/sign-in#${token}`;

/** Why a sign-in request sent no email; the customer's answer is the same for each. */
export type SignInRequestOutcome = 'sent' | 'no_licenses' | 'no_public_url';

/** A license as its owner sees it in the portal: the license view, and the names of what it unlocks. */
export interface PortalLicense {
  view: LicenseView;
  productNames: string[];
  /** The purchases the license came from (payments), oldest first; empty for licenses issued otherwise. */
  purchases: PortalPurchase[];
}

/** What a customer sees of a purchase: where and when it was bought, and how it stands. */
export interface PortalPurchase {
  provider: PaymentProvider;
  orderId: string | null;
  subscriptionId: string | null;
  status: PurchaseStatus;
  periodEndsAt: Date | null;
  purchasedAt: Date;
}

const ACTION_WORDS: Record<PortalAction, string> = {
  deactivation: 'deactivating machines',
  licenseFile: 'downloading license files',
  offlineActivation: 'answering offline activation requests',
};

const signedOut = () =>
  new DomainError('UNAUTHENTICATED', 'your portal session has ended; ask for a new sign-in link');

/**
 * The customer portal: a customer signs in with a one-time link mailed to their address and reaches the
 * licenses that address owns, nothing else. Every action here checks, once for every route, that the portal
 * is on, that the vendor allows the action, and that the license belongs to the signed-in address; it then
 * runs through the same use cases as every surface (machines, license files, the offline exchange), acting
 * as the license itself would (a license-key principal) so their rules, limits and events apply unchanged.
 */
export class PortalService {
  private readonly throttle: PortalLinkThrottle;

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      secretBox: SecretBox;
      settings: PortalSettingsService;
      licenses: LicenseService;
      machines: MachineService;
      licenseFiles: LicenseFileService;
      offline: OfflineService;
    },
  ) {
    this.throttle = new PortalLinkThrottle(deps);
  }

  /** The settings in force, refused as a whole while the portal is off. */
  private async enabledSettings(): Promise<PortalSettings> {
    const settings = await this.deps.settings.current();
    if (!settings.isEnabled) throw new DomainError('FORBIDDEN', 'the customer portal is not enabled');
    return settings;
  }

  /**
   * Mails a sign-in link to the address if it owns a license. The caller learns nothing of which: the outcome
   * is for the operator's log, and the customer's answer must be the same for each. Throttled before anything
   * is looked up.
   */
  async requestSignIn(input: { email: string; ip: string | null }): Promise<SignInRequestOutcome> {
    await this.enabledSettings();
    const email = signInEmail(input.email);
    await this.throttle.charge(email, input.ip ?? '');
    const { store, clock, secretBox } = this.deps;
    const publicUrl = this.deps.settings.publicUrl;
    // Made whether or not it is sent, so both answers cost the same work up to the write.
    const token = secretOf('kwl_');
    const tokenHash = hashToken(token);
    const [licenseIds, customer] = await Promise.all([
      store.portalOwnership.licenseIdsOf(email),
      store.portalOwnership.customerOf(email),
    ]);
    if (publicUrl === null) return 'no_public_url';
    if (licenseIds.length === 0) return 'no_licenses';
    const now = clock.now();
    await store.transaction(async (tx) => {
      await tx.portalSignInLinks.deleteExpired(now);
      await tx.portalSignInLinks.insert({
        tokenHash,
        email,
        expiresAt: new Date(now.getTime() + LINK_SECONDS * 1000),
        createdAt: now,
        requesterIp: input.ip,
      });
      await tx.emailOutbox.enqueue(
        {
          kind: 'portal_sign_in',
          to: email,
          productId: null,
          licenseId: null,
          customerId: customer?.id ?? null,
          variables: { customerName: customer?.name ?? '', expiresInMinutes: String(LINK_SECONDS / 60) },
          sealedSecrets: secretBox.seal(JSON.stringify({ signInUrl: signInUrlOf(publicUrl, token) })),
        },
        now,
      );
    });
    return 'sent';
  }

  /**
   * Opens a session with a sign-in link's token: once, before it expires. The link is used up by one
   * conditional write, so two redeems of one link at once open one session.
   */
  async redeem(input: {
    token: string;
    ip: string | null;
  }): Promise<{ secret: string; session: PortalSession }> {
    await this.enabledSettings();
    const invalid = () =>
      new DomainError(
        'UNAUTHENTICATED',
        'this sign-in link is not valid: it was used already, it expired, or it was never sent; ask for a new one',
      );
    if (!LINK_SECRET.test(input.token)) throw invalid();
    const now = this.deps.clock.now();
    const secret = secretOf('kwp_');
    const session = await this.deps.store.transaction(async (tx) => {
      const link = await tx.portalSignInLinks.consume(hashToken(input.token), now);
      if (!link) return null;
      await tx.portalSessions.deleteExpired({
        now,
        idleBefore: new Date(now.getTime() - SESSION_IDLE_SECONDS * 1000),
      });
      const created = await tx.portalSessions.insert({
        tokenHash: hashToken(secret),
        email: link.email,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + SESSION_SECONDS * 1000),
      });
      await tx.events.append(
        newEvent(
          'portal.signed_in',
          { tokenId: null, ip: input.ip, via: 'portal', principal: null },
          now,
          {},
          {
            email: link.email,
          },
        ),
      );
      return created;
    });
    if (!session) throw invalid();
    return { secret, session };
  }

  /** The live session a cookie's secret names; UNAUTHENTICATED when it names none (ended, idle, unknown). */
  async session(secret: string): Promise<PortalSession> {
    await this.enabledSettings();
    if (!SESSION_SECRET.test(secret)) throw signedOut();
    const now = this.deps.clock.now();
    const found = await this.deps.store.portalSessions.findByHash(hashToken(secret));
    if (
      !found ||
      found.expiresAt <= now ||
      found.lastSeenAt.getTime() + SESSION_IDLE_SECONDS * 1000 <= now.getTime()
    )
      throw signedOut();
    if (now.getTime() - found.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await this.deps.store.portalSessions.touch(found.id, now);
      return { ...found, lastSeenAt: now };
    }
    return found;
  }

  async signOut(secret: string): Promise<void> {
    if (!SESSION_SECRET.test(secret)) return;
    const found = await this.deps.store.portalSessions.findByHash(hashToken(secret));
    if (found) await this.deps.store.portalSessions.delete(found.id);
  }

  /** The signed-in address's licenses, lowest id first, each with its view and product names. */
  async licenses(session: PortalSession): Promise<PortalLicense[]> {
    await this.enabledSettings();
    const { store } = this.deps;
    const ids = await store.portalOwnership.licenseIdsOf(session.email);
    const found = (await Promise.all(ids.map((id) => store.licenses.findById(id)))).filter(
      (license): license is License => license !== null,
    );
    const productIds = [...new Set(found.flatMap((l) => l.productIds))];
    const products = new Map(
      (await Promise.all(productIds.map((id) => store.products.findById(id)))).flatMap((p) =>
        p ? [[p.id, p.name] as const] : [],
      ),
    );
    const purchases = await store.purchases.listOfLicenses(found.map((l) => l.id));
    const result: PortalLicense[] = [];
    for (const license of found) {
      const view = await this.deps.licenses.viewOf(asLicense(license), license);
      result.push({
        view,
        productNames: license.productIds.flatMap((id) => products.get(id) ?? []),
        purchases: purchases
          .filter((p) => p.lines.some((line) => line.licenseId === license.id))
          .map((p) => ({
            provider: p.provider,
            orderId: p.orderId,
            subscriptionId: p.subscriptionId,
            status: p.status,
            periodEndsAt: p.periodEndsAt,
            purchasedAt: p.createdAt,
          })),
      });
    }
    return result;
  }

  /** Frees a machine's seat, under the license's deactivation limit, as any deactivation. */
  async deactivate(session: PortalSession, machineId: number, ip: string | null): Promise<void> {
    await this.assertAllowed('deactivation');
    const machine = await this.deps.store.machines.findById(machineId);
    const missing = () =>
      new DomainError('MACHINE_NOT_FOUND', 'no active machine of your licenses has this id');
    // Another address's machine reads exactly as one that does not exist.
    if (!machine || machine.deactivatedAt || !(await this.owns(session, machine.licenseId))) throw missing();
    const license = await this.deps.store.licenses.findById(machine.licenseId);
    if (!license) throw missing();
    await this.deps.machines.deactivate(this.actor(session, license, ip), machine.id);
  }

  /** A signed license file, for one of the license's machines or (without a machine limit) for none. */
  async licenseFile(
    session: PortalSession,
    licenseId: number,
    request: { fingerprint?: string | undefined },
    ip: string | null,
  ): Promise<IssuedLicenseFile> {
    await this.assertAllowed('licenseFile');
    const license = await this.ownedLicense(session, licenseId);
    return this.deps.licenseFiles.checkOut(this.actor(session, license, ip), license, {
      fingerprint: request.fingerprint,
      callerKind: 'license',
    });
  }

  /**
   * Answers an air-gapped machine's request for one of the address's licenses: an activation, or (when
   * deactivating is allowed too) a deactivation. Verified trials belong to no license and are not the
   * customer's to answer.
   */
  async answerOfflineRequest(
    session: PortalSession,
    raw: string,
    ip: string | null,
  ): Promise<
    | { type: 'activation'; nonce: string; response: string; machine: Machine }
    | { type: 'deactivation'; nonce: string; machineId: number }
  > {
    await this.assertAllowed('offlineActivation');
    const request = this.deps.offline.parse(raw);
    if (request.type === 'verified-trial')
      throw new DomainError('INVALID_INPUT', 'the portal answers activation and deactivation requests only', {
        field: 'request',
      });
    const found = await this.deps.store.licenses.findByKey(request.key);
    if (!found) throw licenseNotFound();
    const license = await this.ownedLicense(session, found.id);
    const actor = this.actor(session, license, ip);
    if (request.type === 'deactivation') {
      await this.assertAllowed('deactivation');
      await this.deps.offline.deactivate(actor, license, request);
      return { type: 'deactivation', nonce: request.nonce, machineId: request.machineId };
    }
    const { response, machine } = await this.deps.offline.activate(actor, license, request);
    return { type: 'activation', nonce: request.nonce, response, machine };
  }

  private async assertAllowed(action: PortalAction): Promise<void> {
    const settings = await this.enabledSettings();
    if (!settings.allowedActions[action])
      throw new DomainError('FORBIDDEN', `the vendor does not allow ${ACTION_WORDS[action]} in the portal`, {
        action,
      });
  }

  /** The license if the signed-in address owns it; to anyone else it does not exist. */
  private async ownedLicense(session: PortalSession, licenseId: number): Promise<License> {
    const license = (await this.owns(session, licenseId))
      ? await this.deps.store.licenses.findById(licenseId)
      : null;
    if (!license) throw licenseNotFound();
    return license;
  }

  private async owns(session: PortalSession, licenseId: number): Promise<boolean> {
    return (await this.deps.store.portalOwnership.licenseIdsOf(session.email)).includes(licenseId);
  }

  /** The customer acts on their license as the license itself would, recorded as the portal and their address. */
  private actor(session: PortalSession, license: License, ip: string | null): Actor {
    return { tokenId: null, ip, via: `portal:${session.email}`, principal: asLicense(license) };
  }
}

const asLicense = (license: License) => ({ kind: 'license' as const, license });
