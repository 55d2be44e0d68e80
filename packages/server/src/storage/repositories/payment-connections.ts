import type { Kysely, Selectable } from 'kysely';
import type {
  ItemMapping,
  PaymentConnection,
  PaymentConnectionRepository,
  RefundAction,
} from '../../core/commerce/commerce-ports.js';
import type { PaymentProvider } from '../../core/commerce/purchase-event.js';
import { columnsFor, fromMillis } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { PaymentConnectionsTable } from '../schema/commerce.js';
import type { Database } from '../schema/index.js';

type Row = Selectable<PaymentConnectionsTable>;

const toConnection = (row: Row, mappings: ItemMapping[]): PaymentConnection => ({
  id: row.id,
  provider: row.provider as PaymentProvider,
  name: row.name,
  refundAction: row.refund_action as RefundAction,
  webhookSecretHint: row.webhook_secret_hint,
  apiKeyHint: row.api_key_hint,
  mappings,
  createdAt: fromMillis(row.created_at),
  updatedAt: fromMillis(row.updated_at),
});

export function paymentConnectionRepository(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
): PaymentConnectionRepository {
  async function mappingsOf(ids: number[]): Promise<Map<number, ItemMapping[]>> {
    const byConnection = new Map<number, ItemMapping[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byConnection;
    const rows = await db
      .selectFrom('payment_item_mappings')
      .selectAll()
      .where('connection_id', 'in', ids)
      .orderBy('provider_item_id')
      .execute();
    for (const row of rows)
      byConnection.get(row.connection_id)?.push({
        providerItemId: row.provider_item_id,
        policyId: row.policy_id,
        seatsPerUnit: row.seats_per_unit,
      });
    return byConnection;
  }

  async function withMappings(rows: Row[]): Promise<PaymentConnection[]> {
    const mappings = await mappingsOf(rows.map((r) => r.id));
    return rows.map((row) => toConnection(row, mappings.get(row.id) ?? []));
  }

  async function replaceMappings(id: number, mappings: ItemMapping[]): Promise<void> {
    await db.deleteFrom('payment_item_mappings').where('connection_id', '=', id).execute();
    if (mappings.length === 0) return;
    await db
      .insertInto('payment_item_mappings')
      .values(
        mappings.map((m) => ({
          connection_id: id,
          provider_item_id: m.providerItemId,
          policy_id: m.policyId,
          seats_per_unit: m.seatsPerUnit,
        })),
      )
      .execute();
  }

  const repository: PaymentConnectionRepository = {
    async insert(input) {
      const row = await db
        .insertInto('payment_connections')
        .values({
          provider: input.provider,
          name: input.name,
          refund_action: input.refundAction,
          sealed_webhook_secret: input.sealedWebhookSecret,
          webhook_secret_hint: input.webhookSecretHint,
          sealed_api_key: input.sealedApiKey,
          api_key_hint: input.apiKeyHint,
          created_at: input.createdAt.getTime(),
          updated_at: input.updatedAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await replaceMappings(row.id, input.mappings);
      return toConnection(row, input.mappings);
    },
    async findById(id) {
      const row = await db
        .selectFrom('payment_connections')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? ((await withMappings([row]))[0] ?? null) : null;
    },
    async lockById(id) {
      const row = await adapter
        .lockForUpdate(db.selectFrom('payment_connections').selectAll().where('id', '=', id))
        .executeTakeFirst();
      return row ? ((await withMappings([row]))[0] ?? null) : null;
    },
    async findSecrets(id) {
      const row = await db
        .selectFrom('payment_connections')
        .select(['provider', 'sealed_webhook_secret', 'sealed_api_key'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row
        ? {
            provider: row.provider as PaymentProvider,
            sealedWebhookSecret: row.sealed_webhook_secret,
            sealedApiKey: row.sealed_api_key,
          }
        : null;
    },
    async list({ after, limit }) {
      let query = db.selectFrom('payment_connections').selectAll().orderBy('id').limit(limit);
      if (after !== null) query = query.where('id', '>', after);
      return withMappings(await query.execute());
    },
    async update(id, changes) {
      const { mappings, ...rest } = changes;
      const columns = columnsFor<typeof rest, Row>(rest, {
        name: (v) => ({ name: v }),
        refundAction: (v) => ({ refund_action: v }),
        sealedWebhookSecret: (v) => ({ sealed_webhook_secret: v }),
        webhookSecretHint: (v) => ({ webhook_secret_hint: v }),
        sealedApiKey: (v) => ({ sealed_api_key: v }),
        apiKeyHint: (v) => ({ api_key_hint: v }),
        updatedAt: (v) => ({ updated_at: v.getTime() }),
      });
      // A null API key clears it: columnsFor skips only undefined. The webhook secret is never cleared (core
      // refuses it): once set, it is only replaced.
      if (rest.sealedApiKey === null) columns.sealed_api_key = null;
      if (rest.apiKeyHint === null) columns.api_key_hint = null;
      const updated = await db
        .updateTable('payment_connections')
        .set(columns)
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
      if (!updated) return null;
      if (mappings) await replaceMappings(id, mappings);
      return repository.findById(id);
    },
    async delete(id) {
      const result = await db.deleteFrom('payment_connections').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
  return repository;
}
