import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type DestinationRules, parseDestinationRules } from './core/network-destinations.js';
import type { DatabaseLocation } from './storage/open-database.js';
import { ensurePrivateDirectory, PRIVATE_FILE_MODE } from './storage/private-files.js';

export interface Config {
  port: number;
  host: string;
  database: DatabaseLocation;
  adminToken: string | null;
  /** The secret from which the at-rest key for private signing keys is derived. */
  secret: string;
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
  /** Internal addresses webhooks and imports may reach (KEYWARD_ALLOW_PRIVATE_DESTINATIONS); default none. */
  destinations: DestinationRules;
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

/**
 * In embedded mode an unset KEYWARD_SECRET is generated once and kept beside the database (mode 0600), so
 * `npm start` needs nothing configured. With PostgreSQL several processes must share it, so it is required.
 */
function resolveSecret(value: string | undefined, database: DatabaseLocation): string {
  if (value !== undefined && value !== '') {
    if (value.length < 32) throw new ConfigError('KEYWARD_SECRET must have at least 32 characters');
    return value;
  }
  if (database.kind === 'postgres') throw new ConfigError('KEYWARD_SECRET is required with PostgreSQL');
  if (database.path === ':memory:') return randomBytes(32).toString('base64url');
  const file = join(dirname(database.path), 'keyward.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensurePrivateDirectory(dirname(file));
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process (a second `keyward` started at once) wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
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

/** The only reader of process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const database = parseDatabaseUrl(env.DATABASE_URL);
  const port = parsePositiveInt('PORT', env.PORT, 8080);
  if (port > 65535) throw new ConfigError('PORT must be at most 65535');
  return {
    port,
    host: env.HOST || '0.0.0.0',
    database,
    adminToken: env.KEYWARD_ADMIN_TOKEN || null,
    secret: resolveSecret(env.KEYWARD_SECRET, database),
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
    destinations: parseDestinations(env.KEYWARD_ALLOW_PRIVATE_DESTINATIONS),
  };
}
