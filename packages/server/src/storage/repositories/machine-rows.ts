import type { Selectable } from 'kysely';
import type { NewMachine } from '../../core/machines/decide-activation.js';
import type { Machine } from '../../core/model.js';
import { fromFlag, fromMillis, fromMillisOrNull, toFlag, toMillisOrNull } from '../columns.js';
import { precompiled } from '../precompiled.js';
import type { MachinesTable } from '../schema/licenses.js';

/** Machines between their rows and the domain's type; read by the machines', licenses' and activation's queries. */

export const toMachine = (row: Selectable<MachinesTable>): Machine => ({
  id: row.id,
  licenseId: row.license_id,
  fingerprint: row.fingerprint,
  name: row.name,
  ip: row.ip,
  platform: row.platform,
  isVm: fromFlag(row.is_vm),
  username: row.username,
  createdAt: fromMillis(row.created_at),
  lastSeenAt: fromMillis(row.last_seen_at),
  leaseExpiresAt: fromMillisOrNull(row.lease_expires_at),
  isOverdraft: fromFlag(row.is_overdraft),
  expiresAt: fromMillisOrNull(row.expires_at),
  deactivatedAt: fromMillisOrNull(row.deactivated_at),
});

export const toMachineRow = (m: NewMachine) => ({
  license_id: m.licenseId,
  fingerprint: m.fingerprint,
  name: m.name,
  ip: m.ip,
  platform: m.platform,
  is_vm: toFlag(m.isVm),
  username: m.username,
  created_at: m.createdAt.getTime(),
  last_seen_at: m.lastSeenAt.getTime(),
  lease_expires_at: toMillisOrNull(m.leaseExpiresAt),
  is_overdraft: toFlag(m.isOverdraft),
  expires_at: toMillisOrNull(m.expiresAt),
  deactivated_at: toMillisOrNull(m.deactivatedAt),
});

// On the validate path (see precompiled.ts).
export const activeMachinesOf = precompiled(1, (db, licenseId: number) =>
  db
    .selectFrom('machines')
    .selectAll()
    .where('license_id', '=', licenseId)
    .where('deactivated_at', 'is', null)
    .orderBy('id'),
);
