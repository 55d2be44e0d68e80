import { createHash } from 'node:crypto';
import type pg from 'pg';
import { forwardingProxy } from '../forwarding-proxy.js';

/** Longer texts are batches (many rows, long `in (…)` lists) whose text changes with their size. */
const LONGEST_NAMED_SQL = 2000;
/** Statements kept prepared per connection, at most; past that, queries run unnamed. */
const MOST_NAMED_PER_CONNECTION = 500;
const NAMEABLE = /^\s*(select|insert|update|delete|with)\b/i;
const TRANSACTION_START = /^\s*(begin|start transaction)\b/i;
const TRANSACTION_END = /^\s*(commit|rollback|end|abort)\b/i;

/** PostgreSQL refuses to run a prepared `select *` whose table has gained or lost a column since. */
export function isStalePreparedStatement(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change');
}

interface ConnectionState {
  named: Set<string>;
  /** Texts whose prepared statement went stale on this connection: they run unnamed from then on. */
  stale: Set<string>;
  inTransaction: boolean;
}

const nameOf = (text: string) => `kw_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;

/**
 * node-postgres sends every query's text for PostgreSQL to parse and plan anew. A named statement is parsed
 * once per connection; afterwards each run only binds and executes it. The server's texts are few and fixed
 * (values are bound parameters), and on the activation path this cut PostgreSQL's work enough to take 50% more
 * activations a second (docs/benchmarks.md).
 *
 * One hazard: a prepared `select *` fails once its table's columns change (another process migrating during
 * a rolling upgrade). Outside a transaction the query is then retried unnamed, invisibly; inside one the
 * transaction has already failed, so the error reaches the caller as "unavailable, try again"
 * (isStalePreparedStatement), and that text runs unnamed on that connection from then on.
 * Connection poolers that cannot keep prepared statements (PgBouncer in transaction mode before 1.21) need
 * KEYWARD_PG_PREPARED_STATEMENTS=off.
 */
export function withNamedStatements(pool: pg.Pool): pg.Pool {
  const clients = new WeakMap<pg.PoolClient, pg.PoolClient>();
  async function connect() {
    const client = await pool.connect();
    let wrapped = clients.get(client);
    if (!wrapped) {
      wrapped = namingClient(client);
      clients.set(client, wrapped);
    }
    return wrapped;
  }
  return forwardingProxy(pool, { connect } as Partial<pg.Pool>);
}

function namingClient(client: pg.PoolClient): pg.PoolClient {
  const state: ConnectionState = { named: new Set(), stale: new Set(), inTransaction: false };

  async function query(...args: unknown[]): Promise<unknown> {
    const [text, values] = args as [unknown, unknown[] | undefined];
    // Query objects, cursors and callbacks go through untouched.
    if (typeof text !== 'string' || args.length > 2 || (values !== undefined && !Array.isArray(values))) {
      return (client.query as (...rest: unknown[]) => unknown)(...args);
    }
    if (TRANSACTION_START.test(text)) state.inTransaction = true;
    else if (TRANSACTION_END.test(text)) state.inTransaction = false;
    const isNameable =
      text.length <= LONGEST_NAMED_SQL &&
      NAMEABLE.test(text) &&
      !state.stale.has(text) &&
      (state.named.size < MOST_NAMED_PER_CONNECTION || state.named.has(text));
    if (!isNameable) return client.query(text, values);
    state.named.add(text);
    try {
      return await client.query({ name: nameOf(text), text, values: values ?? [] });
    } catch (error) {
      if (!isStalePreparedStatement(error)) throw error;
      state.stale.add(text);
      if (state.inTransaction) throw error;
      return client.query(text, values);
    }
  }

  return forwardingProxy(client, { query } as Partial<pg.PoolClient>);
}
