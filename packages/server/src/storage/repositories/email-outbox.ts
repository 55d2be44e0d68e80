import type { Kysely, Selectable } from 'kysely';
import type {
  EmailKind,
  EmailMessage,
  EmailOutboxRepository,
  EmailStatus,
} from '../../core/email/email-ports.js';
import { fromJson, fromMillis, fromMillisOrNull, toJson } from '../columns.js';
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
});

export function emailOutboxRepository(db: Kysely<Database>): EmailOutboxRepository {
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
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEmailMessage(row);
    },
    async findById(id) {
      const row = await db.selectFrom('email_messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toEmailMessage(row) : null;
    },
  };
}
