import type { Kysely, Selectable } from 'kysely';
import type { EmailKind, EmailTemplate, EmailTemplateRepository } from '../../core/email/email-ports.js';
import { fromMillis } from '../columns.js';
import type { EmailTemplatesTable } from '../schema/email.js';
import type { Database } from '../schema/index.js';

const toTemplate = (row: Selectable<EmailTemplatesTable>): EmailTemplate => ({
  productId: row.product_id,
  kind: row.kind as EmailKind,
  fromName: row.from_name,
  fromAddress: row.from_address,
  subject: row.subject,
  textBody: row.text_body,
  htmlBody: row.html_body,
  updatedAt: fromMillis(row.updated_at),
});

/** Vendors' templates; a product of null names the account's defaults. */
export function emailTemplateRepository(db: Kysely<Database>): EmailTemplateRepository {
  const ofProduct = (productId: number | null) =>
    db
      .selectFrom('email_templates')
      .selectAll()
      .where((eb) => (productId === null ? eb('product_id', 'is', null) : eb('product_id', '=', productId)));
  return {
    async find(productId, kind) {
      const row = await ofProduct(productId).where('kind', '=', kind).executeTakeFirst();
      return row ? toTemplate(row) : null;
    },
    async listFor(productId) {
      return (await ofProduct(productId).orderBy('kind').execute()).map(toTemplate);
    },
    async save(template) {
      const values = {
        from_name: template.fromName,
        from_address: template.fromAddress,
        subject: template.subject,
        text_body: template.textBody,
        html_body: template.htmlBody,
        updated_at: template.updatedAt.getTime(),
      };
      const updated = await db
        .updateTable('email_templates')
        .set(values)
        .where((eb) =>
          template.productId === null
            ? eb('product_id', 'is', null)
            : eb('product_id', '=', template.productId),
        )
        .where('kind', '=', template.kind)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return;
      await db
        .insertInto('email_templates')
        .values({ product_id: template.productId, kind: template.kind, ...values })
        .execute();
    },
    async delete(productId, kind) {
      const deleted = await db
        .deleteFrom('email_templates')
        .where((eb) => (productId === null ? eb('product_id', 'is', null) : eb('product_id', '=', productId)))
        .where('kind', '=', kind)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    },
  };
}
