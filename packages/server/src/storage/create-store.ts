import { type Kysely, sql } from 'kysely';
import type { Repositories, Store } from '../core/ports.js';
import { migrateToLatest } from './migrate.js';
import { type DatabaseLocation, type OpenDatabase, openDatabase } from './open-database.js';
import { customerRepository } from './repositories/customers.js';
import { dataObjectRepository } from './repositories/data-objects.js';
import { eventRepository } from './repositories/events.js';
import { idempotencyRepository } from './repositories/idempotency.js';
import { licenseRepository } from './repositories/licenses.js';
import { machineRepository } from './repositories/machines.js';
import { policyRepository } from './repositories/policies.js';
import { productRepository } from './repositories/products.js';
import { signingKeyRepository } from './repositories/signing-keys.js';
import { tokenRepository } from './repositories/tokens.js';
import type { Database } from './schema.js';

function repositoriesOver(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): Repositories {
  return {
    products: productRepository(db),
    policies: policyRepository(db),
    licenses: licenseRepository(db, dialect),
    machines: machineRepository(db),
    customers: customerRepository(db),
    dataObjects: dataObjectRepository(db),
    events: eventRepository(db),
    tokens: tokenRepository(db),
    signingKeys: signingKeyRepository(db),
    idempotency: idempotencyRepository(db),
  };
}

export interface KeywardStore extends Store {
  readonly database: OpenDatabase;
  migrate(): Promise<string[]>;
}

export function createStore(location: DatabaseLocation, options: { poolSize?: number } = {}): KeywardStore {
  const database = openDatabase(location, options);
  const { db, dialect } = database;
  return {
    ...repositoriesOver(db, dialect),
    dialect,
    database,
    migrate: () => migrateToLatest(db as Kysely<unknown>, dialect),
    transaction: (work) => db.transaction().execute((trx) => work(repositoriesOver(trx, dialect))),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
