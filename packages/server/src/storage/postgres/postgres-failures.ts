import pg from 'pg';
import { DatabaseAccessError } from '../data-paths.js';

/**
 * How long the first connection to PostgreSQL may take before the server gives up. Without a limit a
 * firewall that drops packets (or a port where something else listens and says nothing) holds the start for
 * the operating system's TCP timeout, minutes, with nothing printed.
 */
export const POSTGRES_CONNECT_TIMEOUT_MS = 5_000;

interface PostgresTarget {
  where: string;
  host: string;
  port: number;
  database: string;
  user: string;
}

/** What DATABASE_URL names, read the way the driver reads it; never its password. */
function postgresTarget(url: string): PostgresTarget {
  const client = new pg.Client({ connectionString: url });
  const { host, port, database, user } = client as unknown as {
    host: string;
    port: number;
    database: string;
    user: string;
  };
  const where = host.startsWith('/') ? `${host}/.s.PGSQL.${port}` : `${host}:${port}`;
  return { where, host, port, database, user };
}

const POSTGRES_ADVICE: Record<string, (t: PostgresTarget, message: string) => string> = {
  '3D000': (t) =>
    `PostgreSQL database "${t.database}" does not exist on ${t.where}: create it (createdb -h ${t.host} -p ${t.port} -U ${t.user} ${t.database}) or correct the database name in DATABASE_URL`,
  '28P01': (t) =>
    `PostgreSQL at ${t.where} refused the password of user "${t.user}": correct the user or the password in DATABASE_URL`,
  '28000': (t, message) =>
    `PostgreSQL at ${t.where} refused user "${t.user}" (${message}): correct the user in DATABASE_URL or allow it in pg_hba.conf`,
  '57P03': (t) => `PostgreSQL at ${t.where} is starting up or shutting down: start Keyward again in a moment`,
  '53300': (t) =>
    `PostgreSQL at ${t.where} takes no more connections (too many clients): raise max_connections or run fewer server processes`,
  '42501': (t, message) =>
    `user "${t.user}" may not change database "${t.database}" on ${t.where} (${message}): Keyward creates and migrates its tables on start; grant the user CREATE on the database's schema or use its owner`,
};

const NETWORK_ADVICE: Record<string, (t: PostgresTarget, code: string) => string> = {
  ECONNREFUSED: (t) =>
    `PostgreSQL at ${t.where} refused the connection (nothing listens there): start PostgreSQL, or correct the host and port in DATABASE_URL`,
  ENOENT: (t) =>
    `PostgreSQL at ${t.where} refused the connection (no such socket): start PostgreSQL, or correct the host and port in DATABASE_URL`,
  ENOTFOUND: (t, code) =>
    `cannot find the host ${t.host} of DATABASE_URL (${code}): correct the host name, or check the name service`,
  ETIMEDOUT: (t, code) =>
    `PostgreSQL at ${t.where} did not answer within ${POSTGRES_CONNECT_TIMEOUT_MS / 1000} s (${code}): check the host and port in DATABASE_URL and any firewall in between`,
  ECONNRESET: (t) =>
    `the server at ${t.where} closed the connection before PostgreSQL answered: is PostgreSQL the one listening on that port, and does it offer the SSL that DATABASE_URL asks for (sslmode)?`,
};
NETWORK_ADVICE.EAI_AGAIN = NETWORK_ADVICE.ENOTFOUND as (typeof NETWORK_ADVICE)[string];
for (const code of ['EHOSTUNREACH', 'ENETUNREACH', 'TIMEOUT'])
  NETWORK_ADVICE[code] = NETWORK_ADVICE.ETIMEDOUT as (typeof NETWORK_ADVICE)[string];
NETWORK_ADVICE.TERMINATED = NETWORK_ADVICE.ECONNRESET as (typeof NETWORK_ADVICE)[string];

/** The driver reports a few connection failures by message only. */
function networkCode(error: { code?: unknown; message?: unknown }): string | null {
  if (typeof error.code === 'string' && error.code in NETWORK_ADVICE) return error.code;
  const message = String(error.message ?? '');
  // "timeout expired" (connectionTimeoutMillis), "Connection terminated due to connection timeout".
  if (/timeout expired|connection timeout/i.test(message)) return 'TIMEOUT';
  if (message === 'Connection terminated unexpectedly') return 'TERMINATED';
  return null;
}

/** A failure to reach or use PostgreSQL as one line that says what to do, or null for any other error. */
export function explainPostgresFailure(error: unknown, url: string): DatabaseAccessError | null {
  const e = error as { code?: unknown; message?: unknown };
  const target = postgresTarget(url);
  const sqlState = typeof e.code === 'string' ? POSTGRES_ADVICE[e.code] : undefined;
  if (sqlState) return new DatabaseAccessError(sqlState(target, String(e.message)));
  const network = networkCode(e);
  if (network) {
    const advise = NETWORK_ADVICE[network] as (t: PostgresTarget, code: string) => string;
    return new DatabaseAccessError(advise(target, typeof e.code === 'string' ? e.code : network));
  }
  if (/does not support SSL/i.test(String(e.message))) {
    return new DatabaseAccessError(
      `PostgreSQL at ${target.where} does not offer SSL: remove sslmode=require from DATABASE_URL or enable SSL on the server`,
    );
  }
  return null;
}

/** One connection, with a time limit the pool does not have, so that a start fails fast and says why. */
export async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => {});
  }
}
