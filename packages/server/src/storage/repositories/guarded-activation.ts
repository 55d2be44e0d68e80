import { type Kysely, type Selectable, sql } from 'kysely';
import { webhookAudience } from '../../core/events/webhook-event-filter.js';
import type { GuardedActivation } from '../../core/machines/machine-ports.js';
import type { License, Machine } from '../../core/model.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { Database } from '../schema/index.js';
import type { LicensesTable, MachinesTable } from '../schema/licenses.js';
import { toEventRow } from './events.js';
import { toLicense } from './licenses.js';
import { toMachine, toMachineRow } from './machine-rows.js';
import { endpointsHearing } from './webhook-audience-sql.js';

type Written = { machine: Machine; license: License } | null;

/**
 * machines.activateIfUnchanged (core/machines/machine-ports.ts): a new machine's activation written only while
 * the license still has the version it was decided on. Where each statement is a round trip (PostgreSQL) it is
 * one statement; in process (SQLite, which has no data-modifying WITH either) the same steps run in the
 * caller's transaction, as cheap as statements there are.
 */
export function guardedActivation(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
): (input: GuardedActivation) => Promise<Written> {
  if (!adapter.runsInProcess) return (input) => inOneStatement(db, adapter, input);
  return (input) =>
    db.isTransaction
      ? inSteps(db, adapter, input)
      : db.transaction().execute((trx) => inSteps(trx, adapter, input));
}

/**
 * The guard: the license row as read. Under READ COMMITTED, an UPDATE that meets a row another transaction
 * changed waits for it to commit, then checks its WHERE again on the row's new version; so a writer of the
 * license between the read and this write (an activation, a change, a reset; see core's LicenseVersion) makes
 * it match nothing, and nothing else is written.
 */
function countedIfUnchanged(db: Kysely<Database>, { licenseId, expected, at }: GuardedActivation) {
  return db
    .updateTable('licenses')
    .set({ activation_count: sql`activation_count + 1`, updated_at: at.getTime() })
    .where('id', '=', licenseId)
    .where('activation_count', '=', expected.activationCount)
    .where('reset_count', '=', expected.resetCount)
    .where('updated_at', '=', expected.updatedAt.getTime());
}

/** The machine's columns with the SQL type of each, so values selected from the guard's row insert as is. */
const MACHINE_TYPES: Record<Exclude<keyof ReturnType<typeof toMachineRow>, 'license_id'>, string> = {
  fingerprint: 'text',
  name: 'text',
  ip: 'text',
  platform: 'text',
  is_vm: 'integer',
  username: 'text',
  created_at: 'bigint',
  last_seen_at: 'bigint',
  lease_expires_at: 'bigint',
  is_overdraft: 'integer',
  expires_at: 'bigint',
  deactivated_at: 'bigint',
};

/** The event's columns but those taken from the machine's row, with the SQL type of each. */
const EVENT_TYPES: Record<
  Exclude<keyof ReturnType<typeof toEventRow>, 'license_id' | 'machine_id'>,
  string
> = {
  type: 'text',
  product_id: 'integer',
  token_id: 'integer',
  code: 'text',
  ip: 'text',
  data: 'text',
  created_at: 'bigint',
};

/** `$n::type` for each column: parameters selected into an insert must say their type to PostgreSQL. */
function typedValues<Row extends Record<string, unknown>>(row: Row, types: Record<string, string>) {
  const columns = Object.keys(types);
  return {
    columns: sql.join(columns.map((name) => sql.ref(name))),
    values: sql.join(columns.map((name) => sql`${row[name]}::${sql.raw(types[name] as string)}`)),
  };
}

/** A delivery row for each endpoint that hears the event, selected from a relation `event` (id, type, created_at). */
const DELIVERY_COLUMNS = sql`(endpoint_id, event_id, event_type, status, attempt_count, next_attempt_at, window_started_at, created_at)`;
const deliveriesOf = (event: GuardedActivation['event'], adapter: DatabaseAdapter) =>
  sql`select webhook_endpoints.id, event.id, event.type, 'pending', 0, event.created_at, event.created_at, event.created_at
    from event cross join webhook_endpoints where ${endpointsHearing(webhookAudience(event), adapter)}`;

type LicenseRowWithMachine = Selectable<LicensesTable> & { machine: Selectable<MachinesTable> };

/**
 * PostgreSQL: the guard, the machine, the event and its deliveries as one statement of data-modifying WITH
 * clauses, each selecting from the one before, so nothing is inserted when the guard matched no row. It commits
 * by itself (durable as any commit, synchronous_commit on), one round trip, and holds the license row only
 * while it runs. Its text stays short enough to be prepared once per connection (pg-named-statements.ts);
 * guarded-activation.test.ts checks it is.
 */
async function inOneStatement(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
  input: GuardedActivation,
): Promise<Written> {
  const machine = typedValues(toMachineRow(input.machine), MACHINE_TYPES);
  const event = typedValues(toEventRow({ ...input.event, machineId: null }), EVENT_TYPES);
  const { rows } =
    await sql<LicenseRowWithMachine>`with license as (${countedIfUnchanged(db, input).returningAll()}),
    machine as (insert into machines (license_id, ${machine.columns}) select id, ${machine.values} from license returning *),
    event as (insert into events (license_id, machine_id, ${event.columns}) select license_id, id, ${event.values} from machine returning id, type, created_at),
    delivery as (insert into webhook_deliveries ${DELIVERY_COLUMNS} ${deliveriesOf(input.event, adapter)})
    select license.*, to_json(machine) as machine from license cross join machine`.execute(db);
  const [row] = rows;
  if (!row) return null;
  const { machine: machineRow, ...licenseRow } = row;
  return { license: toLicense(licenseRow), machine: toMachine(machineRow) };
}

/** SQLite: the same steps, one statement each, in the caller's transaction. */
async function inSteps(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
  input: GuardedActivation,
): Promise<Written> {
  const license = await countedIfUnchanged(db, input).returningAll().executeTakeFirst();
  if (!license) return null;
  const machine = await db
    .insertInto('machines')
    .values(toMachineRow(input.machine))
    .returningAll()
    .executeTakeFirstOrThrow();
  const event = await db
    .insertInto('events')
    .values(toEventRow({ ...input.event, machineId: machine.id }))
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`with event as (select id, type, created_at from events where id = ${event.id})
    insert into webhook_deliveries ${DELIVERY_COLUMNS} ${deliveriesOf(input.event, adapter)}`.execute(db);
  return { license: toLicense(license), machine: toMachine(machine) };
}
