import type { Kysely, Selectable } from 'kysely';
import type {
  Purchase,
  PurchaseLine,
  PurchaseRepository,
  PurchaseStatus,
} from '../../core/commerce/commerce-ports.js';
import type { PaymentProvider } from '../../core/commerce/purchase-event.js';
import { columnsFor, fromMillis, fromMillisOrNull, toMillisOrNull } from '../columns.js';
import type { PurchasesTable } from '../schema/commerce.js';
import type { Database } from '../schema/index.js';

type Row = Selectable<PurchasesTable> & { provider: string };

export function purchaseRepository(db: Kysely<Database>): PurchaseRepository {
  const selectPurchases = () =>
    db
      .selectFrom('purchases')
      .innerJoin('payment_connections', 'payment_connections.id', 'purchases.connection_id')
      .selectAll('purchases')
      .select('payment_connections.provider');

  async function complete(rows: Row[]): Promise<Purchase[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [payments, lines] = await Promise.all([
      db
        .selectFrom('purchase_payments')
        .selectAll()
        .where('purchase_id', 'in', ids)
        .orderBy('payment_id')
        .execute(),
      db
        .selectFrom('purchase_licenses')
        .selectAll()
        .where('purchase_id', 'in', ids)
        .orderBy('license_id')
        .execute(),
    ]);
    return rows.map((row) => ({
      id: row.id,
      connectionId: row.connection_id,
      provider: row.provider as PaymentProvider,
      orderId: row.order_id,
      subscriptionId: row.subscription_id,
      providerCustomerId: row.provider_customer_id,
      customerId: row.customer_id,
      paymentIds: payments.filter((p) => p.purchase_id === row.id).map((p) => p.payment_id),
      lines: lines
        .filter((l) => l.purchase_id === row.id)
        .map((l) => ({ licenseId: l.license_id, providerItemId: l.provider_item_id, quantity: l.quantity })),
      status: row.status as PurchaseStatus,
      periodEndsAt: fromMillisOrNull(row.period_ends_at),
      cancelledAt: fromMillisOrNull(row.cancelled_at),
      renewedAt: fromMillisOrNull(row.renewed_at),
      changedAt: fromMillisOrNull(row.changed_at),
      createdAt: fromMillis(row.created_at),
      updatedAt: fromMillis(row.updated_at),
    }));
  }

  async function addPaymentIds(id: number, paymentIds: string[]): Promise<void> {
    const unique = [...new Set(paymentIds)];
    if (unique.length === 0) return;
    const purchase = await db
      .selectFrom('purchases')
      .select('connection_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    await db
      .insertInto('purchase_payments')
      .values(
        unique.map((paymentId) => ({
          purchase_id: id,
          connection_id: purchase.connection_id,
          payment_id: paymentId,
        })),
      )
      .onConflict((oc) => oc.columns(['connection_id', 'payment_id']).doNothing())
      .execute();
  }

  async function addLines(id: number, lines: PurchaseLine[]): Promise<void> {
    if (lines.length === 0) return;
    await db
      .insertInto('purchase_licenses')
      .values(
        lines.map((l) => ({
          purchase_id: id,
          license_id: l.licenseId,
          provider_item_id: l.providerItemId,
          quantity: l.quantity,
        })),
      )
      .execute();
  }

  const findById = async (id: number) =>
    (await complete(await selectPurchases().where('purchases.id', '=', id).execute()))[0] ?? null;

  return {
    async insert(input) {
      const row = await db
        .insertInto('purchases')
        .values({
          connection_id: input.connectionId,
          order_id: input.orderId,
          subscription_id: input.subscriptionId,
          provider_customer_id: input.providerCustomerId,
          customer_id: input.customerId,
          status: input.status,
          period_ends_at: toMillisOrNull(input.periodEndsAt),
          cancelled_at: toMillisOrNull(input.cancelledAt),
          renewed_at: toMillisOrNull(input.renewedAt),
          changed_at: toMillisOrNull(input.changedAt),
          created_at: input.createdAt.getTime(),
          updated_at: input.updatedAt.getTime(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await addPaymentIds(row.id, input.paymentIds);
      await addLines(row.id, input.lines);
      return (await findById(row.id)) as Purchase;
    },
    findById,
    async findByReference(connectionId, { orderId, subscriptionId, paymentIds }) {
      const candidates: number[] = [];
      if (orderId !== null || subscriptionId !== null) {
        const rows = await db
          .selectFrom('purchases')
          .select('id')
          .where('connection_id', '=', connectionId)
          .where((eb) =>
            eb.or([
              ...(orderId !== null ? [eb('order_id', '=', orderId)] : []),
              ...(subscriptionId !== null ? [eb('subscription_id', '=', subscriptionId)] : []),
            ]),
          )
          .orderBy('id')
          .execute();
        candidates.push(...rows.map((r) => r.id));
      }
      if (paymentIds.length > 0) {
        const rows = await db
          .selectFrom('purchase_payments')
          .select('purchase_id')
          .where('connection_id', '=', connectionId)
          .where('payment_id', 'in', paymentIds)
          .orderBy('purchase_id')
          .execute();
        candidates.push(...rows.map((r) => r.purchase_id));
      }
      const first = candidates.sort((a, b) => a - b)[0];
      return first === undefined ? null : findById(first);
    },
    async listByProviderCustomer(connectionId, providerCustomerId) {
      return complete(
        await selectPurchases()
          .where('purchases.connection_id', '=', connectionId)
          .where('purchases.provider_customer_id', '=', providerCustomerId)
          .orderBy('purchases.id')
          .execute(),
      );
    },
    async update(id, changes) {
      const columns = columnsFor<typeof changes, Selectable<PurchasesTable>>(changes, {
        status: (v) => ({ status: v }),
        periodEndsAt: (v) => ({ period_ends_at: toMillisOrNull(v) }),
        cancelledAt: (v) => ({ cancelled_at: toMillisOrNull(v) }),
        renewedAt: (v) => ({ renewed_at: toMillisOrNull(v) }),
        changedAt: (v) => ({ changed_at: toMillisOrNull(v) }),
        customerId: (v) => ({ customer_id: v }),
        providerCustomerId: (v) => ({ provider_customer_id: v }),
        subscriptionId: (v) => ({ subscription_id: v }),
        orderId: (v) => ({ order_id: v }),
        updatedAt: (v) => ({ updated_at: v.getTime() }),
      });
      await db.updateTable('purchases').set(columns).where('id', '=', id).execute();
    },
    addPaymentIds,
    addLines,
    async updateLine(id, line) {
      await db
        .updateTable('purchase_licenses')
        .set({ provider_item_id: line.providerItemId, quantity: line.quantity })
        .where('purchase_id', '=', id)
        .where('license_id', '=', line.licenseId)
        .execute();
    },
    async listOfLicenses(licenseIds) {
      if (licenseIds.length === 0) return [];
      const ids = await db
        .selectFrom('purchase_licenses')
        .select('purchase_id')
        .distinct()
        .where('license_id', 'in', [...licenseIds])
        .execute();
      if (ids.length === 0) return [];
      return complete(
        await selectPurchases()
          .where(
            'purchases.id',
            'in',
            ids.map((r) => r.purchase_id),
          )
          .orderBy('purchases.id')
          .execute(),
      );
    },
  };
}
