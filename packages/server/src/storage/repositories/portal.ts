import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  PortalOwnershipRepository,
  PortalSession,
  PortalSessionRepository,
  PortalSettingsRepository,
  PortalSignInLinkRepository,
} from '../../core/portal/portal-ports.js';
import { fromFlag, fromMillis, toFlag } from '../columns.js';
import type { Database } from '../schema/index.js';
import type { PortalSessionsTable } from '../schema/portal.js';
import { toCustomer } from './customers.js';

/** The settings are one row; its id is fixed so a save is an upsert of that row. */
const SETTINGS_ID = 1;

export function portalSettingsRepository(db: Kysely<Database>): PortalSettingsRepository {
  return {
    async get() {
      const row = await db
        .selectFrom('portal_settings')
        .selectAll()
        .where('id', '=', SETTINGS_ID)
        .executeTakeFirst();
      if (!row) return null;
      return {
        isEnabled: fromFlag(row.is_enabled),
        displayName: row.display_name,
        primaryColor: row.primary_color,
        accentColor: row.accent_color,
        logoDataUrl: row.logo_data_url,
        allowedActions: {
          deactivation: fromFlag(row.allow_deactivation),
          licenseFile: fromFlag(row.allow_license_file),
          offlineActivation: fromFlag(row.allow_offline_activation),
        },
        updatedAt: fromMillis(row.updated_at),
      };
    },
    async save(settings) {
      const values = {
        is_enabled: toFlag(settings.isEnabled),
        display_name: settings.displayName,
        primary_color: settings.primaryColor,
        accent_color: settings.accentColor,
        logo_data_url: settings.logoDataUrl,
        allow_deactivation: toFlag(settings.allowedActions.deactivation),
        allow_license_file: toFlag(settings.allowedActions.licenseFile),
        allow_offline_activation: toFlag(settings.allowedActions.offlineActivation),
        updated_at: (settings.updatedAt ?? new Date(0)).getTime(),
      };
      await db
        .insertInto('portal_settings')
        .values({ id: SETTINGS_ID, ...values })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
    },
  };
}

export function portalSignInLinkRepository(db: Kysely<Database>): PortalSignInLinkRepository {
  return {
    async insert(input) {
      await db
        .insertInto('portal_sign_in_links')
        .values({
          token_hash: input.tokenHash,
          email: input.email,
          expires_at: input.expiresAt.getTime(),
          used_at: null,
          created_at: input.createdAt.getTime(),
          requester_ip: input.requesterIp,
        })
        .execute();
    },
    async consume(tokenHash, now) {
      // The condition is re-checked on the row as it is written (PostgreSQL re-reads a row another transaction
      // just updated; SQLite writers take turns): a second redeem finds it used and changes nothing.
      const row = await db
        .updateTable('portal_sign_in_links')
        .set({ used_at: now.getTime() })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now.getTime())
        .returning(['email'])
        .executeTakeFirst();
      return row ? { email: row.email } : null;
    },
    async deleteExpired(before) {
      const result = await db
        .deleteFrom('portal_sign_in_links')
        .where('expires_at', '<', before.getTime())
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

const toSession = (row: Selectable<PortalSessionsTable>): PortalSession => ({
  id: Number(row.id),
  email: row.email,
  createdAt: fromMillis(row.created_at),
  expiresAt: fromMillis(row.expires_at),
  lastSeenAt: fromMillis(row.last_seen_at),
});

export function portalSessionRepository(db: Kysely<Database>): PortalSessionRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('portal_sessions')
        .values({
          token_hash: input.tokenHash,
          email: input.email,
          created_at: input.createdAt.getTime(),
          expires_at: input.expiresAt.getTime(),
          last_seen_at: input.lastSeenAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSession(row);
    },
    async findByHash(tokenHash) {
      const row = await db
        .selectFrom('portal_sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toSession(row) : null;
    },
    async touch(id, at) {
      await db
        .updateTable('portal_sessions')
        .set({ last_seen_at: at.getTime() })
        .where('id', '=', id)
        .execute();
    },
    async delete(id) {
      await db.deleteFrom('portal_sessions').where('id', '=', id).execute();
    },
    async deleteExpired({ now, idleBefore }) {
      const result = await db
        .deleteFrom('portal_sessions')
        .where((eb) =>
          eb.or([eb('expires_at', '<=', now.getTime()), eb('last_seen_at', '<=', idleBefore.getTime())]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

/** `lower(email)`, as migration 020 indexes it on licenses and customers. */
const lowerEmail = sql<string>`lower(email)`;

export function portalOwnershipRepository(db: Kysely<Database>): PortalOwnershipRepository {
  return {
    async licenseIdsOf(email) {
      const address = email.toLowerCase();
      const rows = await db
        .selectFrom('licenses')
        .select('id')
        .where((eb) =>
          eb.or([
            eb(lowerEmail, '=', address),
            eb('customer_id', 'in', eb.selectFrom('customers').select('id').where(lowerEmail, '=', address)),
          ]),
        )
        .orderBy('id')
        .execute();
      return rows.map((row) => row.id);
    },
    async customerOf(email) {
      const row = await db
        .selectFrom('customers')
        .selectAll()
        .where(lowerEmail, '=', email.toLowerCase())
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row ? toCustomer(row) : null;
    },
  };
}
