import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

describe('loadConfig', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'keyward-config-'));

  it('defaults to port 8080 and a SQLite file under ./data', () => {
    const config = loadConfig({ KEYWARD_SECRET: SECRET });
    expect(config.port).toBe(8080);
    expect(config.database).toEqual({ kind: 'sqlite', path: join(process.cwd(), 'data/keyward.sqlite') });
    expect(config.adminToken).toBeNull();
    expect(config.logLevel).toBe('info');
    expect(config.preparedStatements).toBe(true);
    expect(
      loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_PG_PREPARED_STATEMENTS: 'off' }).preparedStatements,
    ).toBe(false);
    expect(config.pgPoolSize).toBe(10);
    expect(loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_PG_POOL_SIZE: '40' }).pgPoolSize).toBe(40);
  });

  it.each([
    ['postgres://u@h:5432/db', { kind: 'postgres', url: 'postgres://u@h:5432/db' }],
    ['postgresql://u@h/db', { kind: 'postgres', url: 'postgresql://u@h/db' }],
    ['sqlite:/tmp/x.db', { kind: 'sqlite', path: '/tmp/x.db' }],
    ['/var/lib/keyward.db', { kind: 'sqlite', path: '/var/lib/keyward.db' }],
  ])('reads DATABASE_URL %s', (url, expected) => {
    expect(loadConfig({ DATABASE_URL: url, KEYWARD_SECRET: SECRET }).database).toEqual(expected);
  });

  it.each([
    [{ DATABASE_URL: 'mysql://h/db', KEYWARD_SECRET: SECRET }, /unsupported database/],
    [{ PORT: 'eighty', KEYWARD_SECRET: SECRET }, /PORT/],
    [{ PORT: '70000', KEYWARD_SECRET: SECRET }, /PORT/],
    [{ KEYWARD_SECRET: 'short' }, /at least 32/],
    [{ DATABASE_URL: 'postgres://h/db' }, /required with PostgreSQL/],
    [{ LOG_LEVEL: 'loud', KEYWARD_SECRET: SECRET }, /LOG_LEVEL/],
    [{ RATE_LIMIT_PER_IP: '-1', KEYWARD_SECRET: SECRET }, /RATE_LIMIT_PER_IP/],
    [{ KEYWARD_PG_POOL_SIZE: '0', KEYWARD_SECRET: SECRET }, /KEYWARD_PG_POOL_SIZE/],
    [{ KEYWARD_PG_POOL_SIZE: 'ten', KEYWARD_SECRET: SECRET }, /KEYWARD_PG_POOL_SIZE/],
    [{ KEYWARD_PG_PREPARED_STATEMENTS: 'maybe', KEYWARD_SECRET: SECRET }, /KEYWARD_PG_PREPARED_STATEMENTS/],
    [{ KEYWARD_LEASE_SWEEP_SECONDS: '0', KEYWARD_SECRET: SECRET }, /KEYWARD_LEASE_SWEEP_SECONDS/],
    [{ KEYWARD_LEASE_SWEEP_SECONDS: '2.5', KEYWARD_SECRET: SECRET }, /KEYWARD_LEASE_SWEEP_SECONDS/],
    [{ KEYWARD_LEASE_SWEEP_SECONDS: '3601', KEYWARD_SECRET: SECRET }, /KEYWARD_LEASE_SWEEP_SECONDS/],
    [{ KEYWARD_HEAP_GROWTH_PERCENT: '5', KEYWARD_SECRET: SECRET }, /KEYWARD_HEAP_GROWTH_PERCENT/],
    [{ KEYWARD_HEAP_GROWTH_PERCENT: '1001', KEYWARD_SECRET: SECRET }, /KEYWARD_HEAP_GROWTH_PERCENT/],
    [{ KEYWARD_HEAP_GROWTH_PERCENT: '50%', KEYWARD_SECRET: SECRET }, /KEYWARD_HEAP_GROWTH_PERCENT/],
    [
      { KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'yes', KEYWARD_SECRET: SECRET },
      /KEYWARD_ALLOW_PRIVATE_DESTINATIONS/,
    ],
    [
      { KEYWARD_ALLOW_PRIVATE_DESTINATIONS: '10.0.0.0/40', KEYWARD_SECRET: SECRET },
      /KEYWARD_ALLOW_PRIVATE_DESTINATIONS/,
    ],
  ])('refuses %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('generates the secret beside an embedded database once, readable only by its owner', () => {
    const path = join(dir(), 'sub', 'keyward.sqlite');
    const first = loadConfig({ DATABASE_URL: path }).secret;
    const file = join(path, '..', 'keyward.secret');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATABASE_URL: path }).secret).toBe(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
  });

  it('makes no new secret beside a database that exists, and says which secret is missing', () => {
    const path = join(dir(), 'keyward.sqlite');
    writeFileSync(path, 'SQLite format 3\0 and the rest of a database');
    const file = join(path, '..', 'keyward.secret');
    expect(() => loadConfig({ DATABASE_URL: path })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: path })).toThrow(
      `${file} is missing beside the existing database ${path}`,
    );
    expect(existsSync(file)).toBe(false);
    // With the secret named, or an empty file the operator created, it starts.
    expect(loadConfig({ DATABASE_URL: path, KEYWARD_SECRET: SECRET }).secretSource).toBe('KEYWARD_SECRET');
    const empty = join(dir(), 'keyward.sqlite');
    writeFileSync(empty, '');
    expect(loadConfig({ DATABASE_URL: empty }).secretSource).toBe(join(empty, '..', 'keyward.secret'));
  });

  it('refuses a keyward.secret that is damaged', () => {
    const path = join(dir(), 'keyward.sqlite');
    writeFileSync(join(path, '..', 'keyward.secret'), 'too short\n');
    expect(() => loadConfig({ DATABASE_URL: path })).toThrow(/holds no usable secret \(9 characters/);
  });

  it('allows only public destinations unless KEYWARD_ALLOW_PRIVATE_DESTINATIONS says otherwise', () => {
    expect(loadConfig({ KEYWARD_SECRET: SECRET }).destinations).toEqual({ allowPrivate: [] });
    const all = { KEYWARD_SECRET: SECRET, KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true' };
    expect(loadConfig(all).destinations).toEqual({ allowPrivate: 'all' });
    const some = { KEYWARD_SECRET: SECRET, KEYWARD_ALLOW_PRIVATE_DESTINATIONS: '10.1.0.0/16,fd00::/8' };
    const ranges = loadConfig(some).destinations.allowPrivate;
    expect(Array.isArray(ranges) && ranges.map((r) => r.prefixLength)).toEqual([16, 8]);
  });

  it('sweeps lapsed leases every 5 seconds unless KEYWARD_LEASE_SWEEP_SECONDS says otherwise', () => {
    expect(loadConfig({ KEYWARD_SECRET: SECRET }).leaseSweepSeconds).toBe(5);
    expect(loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_LEASE_SWEEP_SECONDS: '30' }).leaseSweepSeconds).toBe(
      30,
    );
  });

  it('grows the heap by half past what is live unless KEYWARD_HEAP_GROWTH_PERCENT says otherwise', () => {
    expect(loadConfig({ KEYWARD_SECRET: SECRET }).heapGrowthPercent).toBe(50);
    expect(loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(
      0,
    );
    expect(loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_HEAP_GROWTH_PERCENT: '100' }).heapGrowthPercent).toBe(
      100,
    );
  });

  it('keeps KEYWARD_ADMIN_TOKEN exactly', () => {
    expect(loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_ADMIN_TOKEN: 'my-token' }).adminToken).toBe(
      'my-token',
    );
  });

  it('reads KEYWARD_PUBLIC_URL as the base of mailed links, and refuses what cannot be one', () => {
    expect(loadConfig({ KEYWARD_SECRET: SECRET }).publicUrl).toBeNull();
    expect(
      loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_PUBLIC_URL: 'https://lic.example.com/' }).publicUrl,
    ).toBe('https://lic.example.com');
    expect(loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_PUBLIC_URL: 'http://10.0.0.5:8080' }).publicUrl).toBe(
      'http://10.0.0.5:8080',
    );
    for (const bad of [
      'lic.example.com',
      'ftp://example.com',
      'https://example.com/?a=1',
      'https://example.com/licensing',
      'https://u:p@example.com',
    ])
      expect(() => loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_PUBLIC_URL: bad }), bad).toThrow(
        /KEYWARD_PUBLIC_URL/,
      );
  });

  it('reads KEYWARD_STRIPE_API_URL as where Stripe API reads go, and refuses what cannot be one', () => {
    expect(loadConfig({ KEYWARD_SECRET: SECRET }).stripeApiUrl).toBeNull();
    expect(
      loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_STRIPE_API_URL: 'http://localhost:12111/' }).stripeApiUrl
        ?.href,
    ).toBe('http://localhost:12111/');
    for (const bad of ['localhost:12111', 'ftp://example.com', 'https://example.com/v1'])
      expect(() => loadConfig({ KEYWARD_SECRET: SECRET, KEYWARD_STRIPE_API_URL: bad }), bad).toThrow(
        /KEYWARD_STRIPE_API_URL/,
      );
  });
});
