import type { Kysely, Selectable } from 'kysely';
import type {
  EmailKind,
  EmailMessage,
  EmailOutboxRepository,
  EmailStatus,
} from '../../core/email/email-ports.js';
import { fromJson, fromMillis, fromMillisOrNull, toJson } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { EmailMessagesTable } from '../schema/email.js';
import type { Database } from '../schema/index.js';

const toEmailMessage = (row: Selectable<EmailMessagesTable>): EmailMessage => ({
  id: Number(row.id),
  kind: row.kind as EmailKind,
  to: row.to_address,
  productId: row.product_id,
  licenseId: row.license_id,
  customerId: row.customer_id,
  variables: fromJson<Record<string, string>>(row.variables),
  sealedSecrets: row.sealed_secrets,
  status: row.status as EmailStatus,
  attemptCount: row.attempt_count,
  nextAttemptAt: fromMillis(row.next_attempt_at),
  lastError: row.last_error,
  subject: row.subject,
  sentAt: fromMillisOrNull(row.sent_at),
  createdAt: fromMillis(row.created_at),
  retryWindowStartedAt: fromMillis(row.window_started_at ?? row.created_at),
});

export function emailOutboxRepository(db: Kysely<Database>, adapter: DatabaseAdapter): EmailOutboxRepository {
  return {
    async enqueue(email, now) {
      const row = await db
        .insertInto('email_messages')
        .values({
          kind: email.kind,
          to_address: email.to,
          product_id: email.productId,
          license_id: email.licenseId,
          customer_id: email.customerId,
          variables: toJson(email.variables),
          sealed_secrets: email.sealedSecrets,
          status: 'pending',
          attempt_count: 0,
          next_attempt_at: now.getTime(),
          last_error: null,
          subject: null,
          sent_at: null,
          created_at: now.getTime(),
          window_started_at: now.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEmailMessage(row);
    },
    async findById(id) {
      const row = await db.selectFrom('email_messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toEmailMessage(row) : null;
    },
    async claimDue({ now, owner, leaseUntil, limit }) {
      if (limit <= 0) return [];
      const at = now.getTime();
      const candidates = db
        .selectFrom('email_messages')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', at)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit);
      // Rows another dispatcher is claiming right now are skipped, not waited for (SQLite writers serialize).
      const ids = (await adapter.lockSkippingLocked(candidates).execute()).map((row) => Number(row.id));
      if (ids.length === 0) return [];
      const rows = await db
        .updateTable('email_messages')
        .set({ lease_owner: owner, lease_until: leaseUntil.getTime() })
        .where('id', 'in', ids)
        .returningAll()
        .execute();
      return rows.map(toEmailMessage).sort((a, b) => a.id - b.id);
    },
    async completeAttempt({ id, owner, outcome }) {
      const updated = await db
        .updateTable('email_messages')
        .set((eb) => ({
          status: outcome.status,
          attempt_count: outcome.isAttempt ? eb('attempt_count', '+', 1) : eb.ref('attempt_count'),
          next_attempt_at: outcome.nextAttemptAt.getTime(),
          last_error: outcome.lastError,
          subject: outcome.subject,
          sent_at: outcome.sentAt?.getTime() ?? null,
          lease_owner: null,
          lease_until: null,
          ...(outcome.clearSecrets ? { sealed_secrets: null } : {}),
        }))
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    },
    async list({ status, licenseId, before, limit }) {
      const rows = await db
        .selectFrom('email_messages')
        .selectAll()
        .$if(status !== null, (q) => q.where('status', '=', status as string))
        .$if(licenseId !== null, (q) => q.where('license_id', '=', licenseId as number))
        .$if(before !== null, (q) => q.where('id', '<', before as number))
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEmailMessage);
    },
    async retry(id, now) {
      // A sent message is not sent twice by asking; its lease (if any) is left to run out.
      const row = await db
        .updateTable('email_messages')
        .set({
          status: 'pending',
          next_attempt_at: now.getTime(),
          window_started_at: now.getTime(),
        })
        .where('id', '=', id)
        .where('status', '!=', 'sent')
        .returningAll()
        .executeTakeFirst();
      return row ? toEmailMessage(row) : null;
    },
  };
}
