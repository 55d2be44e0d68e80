import type { Kysely } from 'kysely';
import type { EmailKind, EmailSettingsRepository, SmtpSecurity } from '../../core/email/email-ports.js';
import { fromJson, fromMillis, toJson } from '../columns.js';
import type { Database } from '../schema/index.js';

/** The one row of SMTP settings (id 1). */
export function emailSettingsRepository(db: Kysely<Database>): EmailSettingsRepository {
  return {
    async get() {
      const row = await db.selectFrom('email_settings').selectAll().where('id', '=', 1).executeTakeFirst();
      if (!row) return null;
      return {
        host: row.smtp_host,
        port: row.smtp_port,
        security: row.smtp_security as SmtpSecurity,
        username: row.smtp_username,
        sealedPassword: row.sealed_password,
        fromName: row.from_name,
        fromAddress: row.from_address,
        replyTo: row.reply_to,
        enabledKinds: fromJson<EmailKind[]>(row.enabled_kinds),
        updatedAt: fromMillis(row.updated_at),
      };
    },
    async save(settings) {
      const values = {
        smtp_host: settings.host,
        smtp_port: settings.port,
        smtp_security: settings.security,
        smtp_username: settings.username,
        sealed_password: settings.sealedPassword,
        from_name: settings.fromName,
        from_address: settings.fromAddress,
        reply_to: settings.replyTo,
        enabled_kinds: toJson(settings.enabledKinds),
        updated_at: settings.updatedAt.getTime(),
      };
      await db
        .insertInto('email_settings')
        .values({ id: 1, ...values })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
    },
  };
}
