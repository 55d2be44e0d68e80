import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type DestinationRules, parseDestinationRules } from './core/operations/network-destinations.js';
import { prepareDataDirectory, regularFileSize, secretFileBeside } from './storage/data-paths.js';
import type { DatabaseLocation } from './storage/database-location.js';
import { PRIVATE_FILE_MODE } from './storage/private-files.js';

export interface Config {
  port: number;
  host: string;
  database: DatabaseLocation;
  adminToken: string | null;
  /** The secret from which the at-rest key for private signing keys is derived. */
  secret: string;
  /** Where the secret came from, for messages: `KEYWARD_SECRET` or the path of keyward.secret. */
  secretSource: string;
  logLevel: string;
  redisUrl: string | null;
  rateLimit: { perTokenPerMinute: number; perIpPerMinute: number };
  trustProxy: boolean;
  /** Start with every API request refused as unavailable (KEYWARD_MAINTENANCE=true). */
  maintenance: boolean;
  /** LimeLM dialect: only POST with a form body, as the vendor documents (KEYWARD_LIMELM_STRICT=true). */
  limelm: { strictTransport: boolean };
  /** `full` (default): a commit survives power loss; `fast`: it survives a crash of the server process. */
  durability: Durability;
  /** PostgreSQL: keep the server's statements prepared per connection (KEYWARD_PG_PREPARED_STATEMENTS=off). */
  preparedStatements: boolean;
  /** PostgreSQL: connections each server process keeps open (KEYWARD_PG_POOL_SIZE). */
  pgPoolSize: number;
  /** Internal addresses webhooks and imports may reach (KEYWARD_ALLOW_PRIVATE_DESTINATIONS); default none. */
  destinations: DestinationRules;
  /** How often lapsed floating leases are freed and announced (KEYWARD_LEASE_SWEEP_SECONDS). */
  leaseSweepSeconds: number;
  /** Licenses (and tokens) kept in memory by each server process (KEYWARD_CACHE_ENTRIES; 0 keeps none). */
  cacheEntries: number;
  /** How far the heap grows past what is live before a full collection (KEYWARD_HEAP_GROWTH_PERCENT; 0: V8's). */
  heapGrowthPercent: number;
  /**
   * The server's address as customers reach it (KEYWARD_PUBLIC_URL), without a trailing slash: the base of the
   * links the customer portal mails. Null when unset; links are never built from a request's Host header.
   */
  publicUrl: string | null;
  /**
   * Where Stripe's API answers the reads the Stripe webhook adapter makes (KEYWARD_STRIPE_API_URL): Stripe's own
   * unless the operator points it at stripe-mock or an egress proxy. Set by the operator, never by a vendor.
   */
  stripeApiUrl: URL | null;
}

export class ConfigError extends Error {}

export type Durability = 'full' | 'fast';

function parseDurability(value: string | undefined): Durability {
  if (value === undefined || value === '' || value === 'full') return 'full';
  if (value === 'fast') return 'fast';
  throw new ConfigError('KEYWARD_DURABILITY must be full or fast');
}

function parseOnOff(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new ConfigError(`${name} must be on or off`);
}

const DEFAULT_SQLITE_PATH = './data/keyward.sqlite';

function parseDatabaseUrl(value: string | undefined): DatabaseLocation {
  if (!value) return { kind: 'sqlite', path: resolve(DEFAULT_SQLITE_PATH) };
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value };
  if (value.startsWith('sqlite:')) return { kind: 'sqlite', path: resolve(value.slice('sqlite:'.length)) };
  if (/^[a-z]+:\/\//i.test(value))
    throw new ConfigError(`DATABASE_URL: unsupported database "${value.split(':')[0]}"`);
  return { kind: 'sqlite', path: resolve(value) };
}

function parsePositiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535 * 1000)
    throw new ConfigError(`${name} must be a whole number`);
  return n;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8080;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n > 65535)
    throw new ConfigError(`PORT must be a whole number from 0 to 65535, not "${value}"`);
  return n;
}

const MIN_SECRET_LENGTH = 32;
const MAKE_A_SECRET = 'e.g. the output of `openssl rand -base64 32`';

/** KEYWARD_SECRET, or null when unset. */
function parseSecretSetting(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (value.length < MIN_SECRET_LENGTH)
    throw new ConfigError(
      `KEYWARD_SECRET must have at least ${MIN_SECRET_LENGTH} characters (it has ${value.length}): use a long random value, ${MAKE_A_SECRET}`,
    );
  return value;
}

/**
 * In embedded mode an unset KEYWARD_SECRET is generated once and kept beside the database (mode 0600), so
 * `npm start` needs nothing configured. With PostgreSQL several processes must share it, so it is required.
 * A new secret is never made beside a database that exists: its signing keys are sealed with the old one, and
 * a server that made a new one would only fail later (or, once the file is lost, for good) instead of now.
 */
function resolveSecret(
  value: string | undefined,
  database: DatabaseLocation,
): { secret: string; secretSource: string } {
  const fromEnvironment = parseSecretSetting(value);
  if (fromEnvironment !== null) return { secret: fromEnvironment, secretSource: 'KEYWARD_SECRET' };
  if (database.kind === 'postgres')
    throw new ConfigError(
      `KEYWARD_SECRET is required with PostgreSQL: ${MIN_SECRET_LENGTH}+ characters, the same in every server process, ${MAKE_A_SECRET}; keep it with your database backups, which cannot be used without it`,
    );
  if (database.path === ':memory:')
    return { secret: randomBytes(32).toString('base64url'), secretSource: 'a secret generated for this run' };
  const file = secretFileBeside(database.path);
  const existing = readSecretFile(file);
  if (existing !== null) return { secret: existing, secretSource: file };
  const databaseSize = regularFileSize(
    database.path,
    'DATABASE_URL must name the SQLite database file (or a new file name)',
  );
  if (databaseSize !== null && databaseSize > 0)
    throw new ConfigError(
      `${file} is missing beside the existing database ${database.path}, whose signing keys only the secret it was created with can open: put back the keyward.secret from the same backup as the database (keyward restore <backup> restores both), or set KEYWARD_SECRET to the secret the database was created with`,
    );
  prepareDataDirectory(dirname(file));
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    return { secret, secretSource: file };
  } catch (error) {
    // Another process (a second `keyward` started at once) wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { secret: readSecretFile(file) as string, secretSource: file };
    throw error;
  }
}

function parseDestinations(value: string | undefined): DestinationRules {
  const rules = parseDestinationRules(value);
  if (!rules)
    throw new ConfigError(
      'KEYWARD_ALLOW_PRIVATE_DESTINATIONS must be true, false, or a comma-separated list of addresses and ' +
        'ranges (10.0.0.0/8,fd00::/8)',
    );
  return rules;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseLogLevel(value: string | undefined): string {
  const level = value || 'info';
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/**
 * Where the database is and KEYWARD_SECRET if set, without generating a secret: for `keyward restore`, which
 * puts the secret of a backup in place.
 */
export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): {
  database: DatabaseLocation;
  secretFromEnvironment: string | null;
} {
  return {
    database: parseDatabaseUrl(env.DATABASE_URL),
    secretFromEnvironment: parseSecretSetting(env.KEYWARD_SECRET),
  };
}

/** keyward.secret as written, or null when there is none; a FIFO or a damaged file is refused, not waited on. */
export function readSecretFile(file: string): string | null {
  const what = 'it holds the server secret Keyward generated; restore it from the backup of this database';
  if (regularFileSize(file, what) === null) return null;
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH)
    throw new ConfigError(
      `${file} holds no usable secret (${secret.length} characters, at least ${MIN_SECRET_LENGTH} needed): restore it from the backup of this database`,
    );
  return secret;
}

/** Whether failures print their stack trace too (LOG_LEVEL=debug or trace); otherwise one line says it all. */
export function wantsStackTraces(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace';
}

/** Seconds between sweeps for lapsed floating leases: a lapsed seat is free and announced within this. */
function parseLeaseSweepSeconds(value: string | undefined): number {
  if (value === undefined || value === '') return 5;
  const seconds = Number(value);
  if (!/^\d+$/.test(value.trim()) || seconds < 1 || seconds > 3600)
    throw new ConfigError(
      `KEYWARD_LEASE_SWEEP_SECONDS must be a whole number of seconds from 1 to 3600, not "${value}"`,
    );
  return seconds;
}

const DEFAULT_PG_POOL_SIZE = 10;

function parsePgPoolSize(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PG_POOL_SIZE;
  const size = Number(value);
  if (!/^\d+$/.test(value.trim()) || size < 1 || size > 1000)
    throw new ConfigError(`KEYWARD_PG_POOL_SIZE must be a whole number from 1 to 1000, not "${value}"`);
  return size;
}

const DEFAULT_CACHE_ENTRIES = 250_000;
const MAX_CACHE_ENTRIES = 10_000_000;

function parseCacheEntries(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_CACHE_ENTRIES;
  const entries = Number(value);
  if (!/^\d+$/.test(value.trim()) || entries > MAX_CACHE_ENTRIES)
    throw new ConfigError(
      `KEYWARD_CACHE_ENTRIES must be a whole number from 0 (no cache) to ${MAX_CACHE_ENTRIES}, not "${value}"`,
    );
  return entries;
}

const DEFAULT_HEAP_GROWTH_PERCENT = 50;

function parseHeapGrowthPercent(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_HEAP_GROWTH_PERCENT;
  const percent = Number(value);
  if (!/^\d+$/.test(value.trim()) || (percent !== 0 && (percent < 10 || percent > 1000)))
    throw new ConfigError(
      `KEYWARD_HEAP_GROWTH_PERCENT must be 0 (V8's own growth) or a whole number from 10 to 1000, not "${value}"`,
    );
  return percent;
}

/**
 * KEYWARD_PUBLIC_URL: the origin customers reach the server at, http(s), with no path, query or fragment: the
 * portal's page and its API live at fixed paths from the root (/portal/, /portal/api, /assets), as the
 * dashboard's do, so a server under a sub-path could not serve the links anyway. Plain http is accepted: the
 * operator may be testing on a private network.
 */
export function parsePublicUrl(value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(
      `KEYWARD_PUBLIC_URL must be an absolute URL such as https://licensing.example.com, not "${value}"`,
    );
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname.replace(/\/+$/, '') !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  )
    throw new ConfigError(
      `KEYWARD_PUBLIC_URL must be the http(s) address of the server's root, without a path, credentials, query or fragment, such as https://licensing.example.com, not "${value}"`,
    );
  return url.origin;
}

/** KEYWARD_STRIPE_API_URL: an http(s) origin (stripe-mock, an egress proxy); unset means Stripe's own API. */
export function parseStripeApiUrl(value: string | undefined): URL | null {
  if (value === undefined || value.trim() === '') return null;
  let url: URL | null = null;
  try {
    url = new URL(value.trim());
  } catch {}
  if (
    !url ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname.replace(/\/+$/, '') !== ''
  )
    throw new ConfigError(
      `KEYWARD_STRIPE_API_URL must be the http(s) address of a Stripe API without a path, such as http://localhost:12111 for stripe-mock, not "${value}"`,
    );
  return new URL(url.origin);
}

/** The only reader of process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const database = parseDatabaseUrl(env.DATABASE_URL);
  const port = parsePort(env.PORT);
  return {
    port,
    host: env.HOST || '0.0.0.0',
    database,
    adminToken: env.KEYWARD_ADMIN_TOKEN || null,
    ...resolveSecret(env.KEYWARD_SECRET, database),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    redisUrl: env.REDIS_URL || null,
    rateLimit: {
      perTokenPerMinute: parsePositiveInt('RATE_LIMIT_PER_TOKEN', env.RATE_LIMIT_PER_TOKEN, 6000),
      perIpPerMinute: parsePositiveInt('RATE_LIMIT_PER_IP', env.RATE_LIMIT_PER_IP, 1200),
    },
    trustProxy: env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1',
    maintenance: env.KEYWARD_MAINTENANCE === 'true' || env.KEYWARD_MAINTENANCE === '1',
    limelm: { strictTransport: env.KEYWARD_LIMELM_STRICT === 'true' || env.KEYWARD_LIMELM_STRICT === '1' },
    durability: parseDurability(env.KEYWARD_DURABILITY),
    preparedStatements: parseOnOff(
      'KEYWARD_PG_PREPARED_STATEMENTS',
      env.KEYWARD_PG_PREPARED_STATEMENTS,
      true,
    ),
    pgPoolSize: parsePgPoolSize(env.KEYWARD_PG_POOL_SIZE),
    destinations: parseDestinations(env.KEYWARD_ALLOW_PRIVATE_DESTINATIONS),
    leaseSweepSeconds: parseLeaseSweepSeconds(env.KEYWARD_LEASE_SWEEP_SECONDS),
    cacheEntries: parseCacheEntries(env.KEYWARD_CACHE_ENTRIES),
    heapGrowthPercent: parseHeapGrowthPercent(env.KEYWARD_HEAP_GROWTH_PERCENT),
    publicUrl: parsePublicUrl(env.KEYWARD_PUBLIC_URL),
    stripeApiUrl: parseStripeApiUrl(env.KEYWARD_STRIPE_API_URL),
  };
}
