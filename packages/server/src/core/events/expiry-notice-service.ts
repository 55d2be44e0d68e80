import { type Actor, serverActor } from '../access/actor.js';
import type { Clock } from '../clock.js';
import type { EmailKind } from '../email/email-ports.js';
import { licenseEmailVariables } from '../email/license-email-variables.js';
import type { Repositories, Store } from '../ports.js';
import { newEvent } from './record-event.js';

/** `license.expiring_soon` goes out this long before a license expires. */
export const EXPIRING_SOON_SECONDS = 7 * 86_400;
/** Licenses that expired longer ago than this get no `license.expired` (e.g. old ones just imported). */
export const EXPIRED_LOOKBACK_SECONDS = 7 * 86_400;
const BATCH = 200;

/** The email a notice sends to the license's address, when it has one. */
const NOTICE_EMAILS: Record<string, EmailKind> = {
  'license.expiring_soon': 'license_expiring_soon',
  'license.expired': 'license_expired',
};

export const schedulerActor: Actor = serverActor('scheduler');

/**
 * Emits `license.expiring_soon` and `license.expired` once per license and expiry: a notice row, unique per
 * license, kind and expiry instant, is written in the transaction that appends the event, so several server
 * processes may run the scheduler at once (the second insert of a notice does nothing and emits nothing). A
 * license extended afterwards gets notices again for its new expiry. A license with an email address also gets
 * the matching email, queued in that transaction: one message per notice.
 */
export class ExpiryNoticeService {
  constructor(
    private readonly deps: { store: Store; clock: Clock },
    private readonly options: { expiringSoonSeconds?: number; expiredLookbackSeconds?: number } = {},
  ) {}

  /** Emits every notice due now; returns how many events this call appended. */
  async sweep(actor: Actor = schedulerActor): Promise<number> {
    const now = this.deps.clock.now();
    const soon = (this.options.expiringSoonSeconds ?? EXPIRING_SOON_SECONDS) * 1000;
    const lookback = (this.options.expiredLookbackSeconds ?? EXPIRED_LOOKBACK_SECONDS) * 1000;
    let total = await this.notify(
      'license.expiring_soon',
      actor,
      now,
      new Date(now.getTime() + 1),
      new Date(now.getTime() + soon),
    );
    total += await this.notify(
      'license.expired',
      actor,
      now,
      new Date(now.getTime() - lookback),
      new Date(now.getTime() + 1),
    );
    return total;
  }

  private async notify(kind: string, actor: Actor, now: Date, from: Date, to: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const { found, recorded } = await this.deps.store.transaction(async (tx) => {
        const due = await tx.expiryNotices.findDue({ kind, from, to, now, limit: BATCH });
        if (due.length === 0) return { found: 0, recorded: 0 };
        const sorted = [...due].sort((a, b) => a.licenseId - b.licenseId);
        const done = await tx.expiryNotices.record(kind, sorted, now);
        const products = new Map(due.map((d) => [d.licenseId, d.productId]));
        await tx.events.appendMany(
          done.map((notice) =>
            newEvent(
              kind,
              actor,
              now,
              { licenseId: notice.licenseId, productId: products.get(notice.licenseId) ?? null },
              { expiresAt: notice.expiresAt.toISOString() },
            ),
          ),
        );
        await this.queueEmails(
          tx,
          kind,
          done.map((notice) => notice.licenseId),
          now,
        );
        return { found: due.length, recorded: done.length };
      });
      total += recorded;
      if (found < BATCH) return total;
    }
  }

  private async queueEmails(tx: Repositories, kind: string, licenseIds: number[], now: Date): Promise<void> {
    const emailKind = NOTICE_EMAILS[kind];
    if (!emailKind) return;
    for (const licenseId of licenseIds) {
      const license = await tx.licenses.findById(licenseId);
      const to = license?.email?.trim();
      if (!license || !to) continue;
      await tx.emailOutbox.enqueue(
        {
          kind: emailKind,
          to,
          productId: license.productIds[0] ?? null,
          licenseId,
          customerId: license.customerId,
          variables: await licenseEmailVariables(tx, license),
          sealedSecrets: null,
        },
        now,
      );
    }
  }
}
