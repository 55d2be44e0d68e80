import { type Kysely, type Selectable, sql } from 'kysely';
import { webhookAudience } from '../../core/events/webhook-event-filter.js';
import type { GuardedActivation } from '../../core/machines/machine-ports.js';
import type { License, Machine } from '../../core/model.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import { precompiled } from '../precompiled.js';
import type { Database } from '../schema/index.js';
import type { LicensesTable, MachinesTable } from '../schema/licenses.js';
import { toEventRow } from './events.js';
import { toLicense } from './licenses.js';
import { toMachine, toMachineRow } from './machine-rows.js';
import {
  type AudienceTerms,
  audienceTerms,
  boundValues,
  endpointsHearing,
  shapeOf,
  withBoundValues,
} from './webhook-audience-sql.js';

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
  if (!adapter.runsInProcess) return inOneStatement(db, adapter);
  return (input) =>
    db.isTransaction
      ? inSteps(db, adapter, input)
      : db.transaction().execute((trx) => inSteps(trx, adapter, input));
}

/** The guard's values, as the licenses table holds them. */
interface Guard {
  licenseId: number;
  activationCount: number;
  resetCount: number;
  updatedAt: number;
  /** The license's new updatedAt. */
  at: number;
}

const guardOf = ({ licenseId, expected, at }: GuardedActivation): Guard => ({
  licenseId,
  activationCount: expected.activationCount,
  resetCount: expected.resetCount,
  updatedAt: expected.updatedAt.getTime(),
  at: at.getTime(),
});

/**
 * The guard: the license row as read. Under READ COMMITTED, an UPDATE that meets a row another transaction
 * changed waits for it to commit, then checks its WHERE again on the row's new version; so a writer of the
 * license between the read and this write (an activation, a change, a reset; see core's LicenseVersion) makes
 * it match nothing, and nothing else is written.
 */
function countedIfUnchanged(db: Kysely<Database>, guard: Guard) {
  return db
    .updateTable('licenses')
    .set({ activation_count: sql`activation_count + 1`, updated_at: guard.at })
    .where('id', '=', guard.licenseId)
    .where('activation_count', '=', guard.activationCount)
    .where('reset_count', '=', guard.resetCount)
    .where('updated_at', '=', guard.updatedAt)
    .returningAll();
}

/** The machine's columns but its license's, with the SQL type of each: values selected into an insert say it. */
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

const MACHINE_COLUMNS = Object.keys(MACHINE_TYPES) as Array<keyof typeof MACHINE_TYPES>;
const EVENT_COLUMNS = Object.keys(EVENT_TYPES) as Array<keyof typeof EVENT_TYPES>;
/** Where each part of the statement's values ends (valuesOf): the guard's five, the machine's, the event's. */
const AFTER_GUARD = 5;
const AFTER_MACHINE = AFTER_GUARD + MACHINE_COLUMNS.length;
const AFTER_EVENT = AFTER_MACHINE + EVENT_COLUMNS.length;

/** The columns, and `$n::type` for each value: parameters selected into an insert must say their type. */
function typed(types: Record<string, string>, values: unknown[]) {
  const columns = Object.keys(types);
  return {
    columns: sql.join(columns.map((name) => sql.ref(name))),
    values: sql.join(
      values.map((value, i) => sql`${value}::${sql.raw(types[columns[i] as string] as string)}`),
    ),
  };
}

/** A delivery row for each endpoint that hears the event, selected from a relation `event` (id, type, created_at). */
const DELIVERY_COLUMNS = sql`(endpoint_id, event_id, event_type, status, attempt_count, next_attempt_at, window_started_at, created_at)`;
const deliveriesTo = (terms: AudienceTerms, adapter: DatabaseAdapter) =>
  sql`select webhook_endpoints.id, event.id, event.type, 'pending', 0, event.created_at, event.created_at, event.created_at
    from event cross join webhook_endpoints where ${endpointsHearing(terms, adapter)}`;

type LicenseRowWithMachine = Selectable<LicensesTable> & { machine: Selectable<MachinesTable> };
type Statement = (db: Kysely<Database>, ...values: unknown[]) => Promise<LicenseRowWithMachine[]>;

/** What the PostgreSQL statement binds, in order: the guard, the machine's and the event's columns, the audience. */
function valuesOf(input: GuardedActivation, terms: AudienceTerms): unknown[] {
  const { licenseId, activationCount, resetCount, updatedAt, at } = guardOf(input);
  const machine = toMachineRow(input.machine);
  const event = toEventRow({ ...input.event, machineId: null });
  return [
    licenseId,
    activationCount,
    resetCount,
    updatedAt,
    at,
    ...MACHINE_COLUMNS.map((name) => machine[name]),
    ...EVENT_COLUMNS.map((name) => event[name]),
    ...boundValues(terms),
  ];
}

/**
 * PostgreSQL: the guard, the machine, the event and its deliveries as one statement of data-modifying WITH
 * clauses, each selecting from the one before, so nothing is inserted when the guard matched no row. It commits
 * by itself (durable as any commit, synchronous_commit on), one round trip, and holds the license row only
 * while it runs. Built once per shape of audience (precompiled.ts: on the activation path, building it cost
 * more than a tenth of the server's work); its text stays short enough to be prepared once per connection
 * (pg-named-statements.ts), which guarded-activation.test.ts checks.
 */
function oneStatement(adapter: DatabaseAdapter, shape: AudienceTerms): Statement {
  return precompiled(AFTER_EVENT + boundValues(shape).length, (db, ...values: unknown[]) => {
    const [licenseId, activationCount, resetCount, updatedAt, at] = values as number[];
    const guard = { licenseId, activationCount, resetCount, updatedAt, at } as Guard;
    const machine = typed(MACHINE_TYPES, values.slice(AFTER_GUARD, AFTER_MACHINE));
    const event = typed(EVENT_TYPES, values.slice(AFTER_MACHINE, AFTER_EVENT));
    const terms = withBoundValues(shape, values.slice(AFTER_EVENT));
    const statement = sql<LicenseRowWithMachine>`with license as (${countedIfUnchanged(db, guard)}),
    machine as (insert into machines (license_id, ${machine.columns}) select id, ${machine.values} from license returning *),
    event as (insert into events (license_id, machine_id, ${event.columns}) select license_id, id, ${event.values} from machine returning id, type, created_at),
    delivery as (insert into webhook_deliveries ${DELIVERY_COLUMNS} ${deliveriesTo(terms, adapter)})
    select license.*, to_json(machine) as machine from license cross join machine`;
    return { compile: () => statement.compile(db) };
  });
}

/**
 * A statement built once per adapter (which writes its SQL) and shape of audience (which fixes its text), then
 * only given new values.
 */
function builtPerShape<S>(build: (adapter: DatabaseAdapter, shape: AudienceTerms) => S) {
  const built = new WeakMap<DatabaseAdapter, Map<string, S>>();
  return (adapter: DatabaseAdapter, terms: AudienceTerms): S => {
    let byShape = built.get(adapter);
    if (!byShape) {
      byShape = new Map();
      built.set(adapter, byShape);
    }
    const shape = shapeOf(terms);
    let statement = byShape.get(shape);
    if (!statement) {
      statement = build(adapter, terms);
      byShape.set(shape, statement);
    }
    return statement;
  };
}

const oneStatementFor = builtPerShape(oneStatement);

function inOneStatement(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
): (input: GuardedActivation) => Promise<Written> {
  return async (input) => {
    const terms = audienceTerms(webhookAudience(input.event));
    const [row] = await oneStatementFor(adapter, terms)(db, ...valuesOf(input, terms));
    if (!row) return null;
    const { machine, ...license } = row;
    return { license: toLicense(license), machine: toMachine(machine) };
  };
}

/** SQLite's steps that the locked path does not share, built once (precompiled.ts) as the statement above. */
const countedIfUnchangedStep = precompiled(
  5,
  (db, licenseId: number, activationCount: number, resetCount: number, updatedAt: number, at: number) =>
    countedIfUnchanged(db, { licenseId, activationCount, resetCount, updatedAt, at }),
);
const deliveriesStepFor = builtPerShape((adapter, shape) =>
  precompiled(1 + boundValues(shape).length, (db, eventId: unknown, ...values: unknown[]) => {
    const statement = sql`with event as (select id, type, created_at from events where id = ${eventId})
    insert into webhook_deliveries ${DELIVERY_COLUMNS} ${deliveriesTo(withBoundValues(shape, values), adapter)}`;
    return { compile: () => statement.compile(db) };
  }),
);

/** SQLite: the same steps, one statement each, in the caller's transaction. */
async function inSteps(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
  input: GuardedActivation,
): Promise<Written> {
  const guard = guardOf(input);
  const [license] = await countedIfUnchangedStep(
    db,
    guard.licenseId,
    guard.activationCount,
    guard.resetCount,
    guard.updatedAt,
    guard.at,
  );
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
  const terms = audienceTerms(webhookAudience(input.event));
  await deliveriesStepFor(adapter, terms)(db, event.id, ...boundValues(terms));
  return { license: toLicense(license), machine: toMachine(machine) };
}
