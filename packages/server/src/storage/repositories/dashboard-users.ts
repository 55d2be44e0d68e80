import type { Kysely, Selectable } from 'kysely';
import type {
  DashboardRole,
  DashboardSessionRepository,
  DashboardUserRecord,
  DashboardUserRepository,
} from '../../core/access/dashboard-ports.js';
import { fromMillis, fromMillisOrNull } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { DashboardUsersTable } from '../schema/dashboard.js';
import type { Database } from '../schema/index.js';

const toUserRecord = (row: Selectable<DashboardUsersTable>): DashboardUserRecord => ({
  id: Number(row.id),
  email: row.email,
  role: row.role as DashboardRole,
  passwordHash: row.password_hash,
  createdAt: fromMillis(row.created_at),
  lastSignInAt: fromMillisOrNull(row.last_sign_in_at),
});

const withoutHash = ({ passwordHash: _omit, ...user }: DashboardUserRecord) => user;

export function dashboardUserRepository(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
): DashboardUserRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('dashboard_users')
        .values({
          email: input.email,
          password_hash: input.passwordHash,
          role: input.role,
          created_at: input.createdAt.getTime(),
          last_sign_in_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return withoutHash(toUserRecord(row));
    },
    async findByEmail(email) {
      const row = await db
        .selectFrom('dashboard_users')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirst();
      return row ? toUserRecord(row) : null;
    },
    async findById(id) {
      const row = await db.selectFrom('dashboard_users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? withoutHash(toUserRecord(row)) : null;
    },
    async list() {
      const rows = await db.selectFrom('dashboard_users').selectAll().orderBy('id').execute();
      return rows.map((row) => withoutHash(toUserRecord(row)));
    },
    async count() {
      const row = await db
        .selectFrom('dashboard_users')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    async update(id, changes) {
      const set = {
        ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
        ...(changes.role !== undefined ? { role: changes.role } : {}),
        ...(changes.lastSignInAt !== undefined ? { last_sign_in_at: changes.lastSignInAt.getTime() } : {}),
      };
      if (Object.keys(set).length === 0) return this.findById(id);
      const row = await db
        .updateTable('dashboard_users')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? withoutHash(toUserRecord(row)) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('dashboard_users').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async lockAdminIds() {
      const admins = db.selectFrom('dashboard_users').select('id').where('role', '=', 'admin').orderBy('id');
      return (await adapter.lockForUpdate(admins).execute()).map((row) => Number(row.id));
    },
  };
}

export function dashboardSessionRepository(db: Kysely<Database>): DashboardSessionRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('dashboard_sessions')
        .values({
          user_id: input.userId,
          secret_hash: input.secretHash,
          ip: input.ip,
          created_at: input.createdAt.getTime(),
          expires_at: input.expiresAt.getTime(),
        })
        .returning(['id'])
        .executeTakeFirstOrThrow();
      const { secretHash: _omit, ...session } = input;
      return { ...session, id: Number(row.id) };
    },
    async findByHash(secretHash) {
      const row = await db
        .selectFrom('dashboard_sessions')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      if (!row) return null;
      return {
        id: Number(row.id),
        userId: Number(row.user_id),
        ip: row.ip,
        createdAt: fromMillis(row.created_at),
        expiresAt: fromMillis(row.expires_at),
      };
    },
    async delete(id) {
      await db.deleteFrom('dashboard_sessions').where('id', '=', id).execute();
    },
    async deleteForUser(userId) {
      const result = await db
        .deleteFrom('dashboard_sessions')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async deleteExpired(at) {
      const result = await db
        .deleteFrom('dashboard_sessions')
        .where('expires_at', '<=', at.getTime())
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
