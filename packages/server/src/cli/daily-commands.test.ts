import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/** The built command, run as a vendor runs it (`npm test` builds before the tests). */
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const run = promisify(execFile);
/** Each command starts a process and opens the database: seconds apiece on a busy machine. */
const SLOW = 240_000;

const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-daily-'));
const env = { PATH: process.env.PATH ?? '', DATABASE_URL: join(dir, 'keyward.sqlite'), LOG_LEVEL: 'warn' };

/** What a person sees. */
async function text(...args: string[]): Promise<string> {
  return (await run('node', [CLI, ...args], { env })).stdout;
}

/** What a script reads. */
async function json(...args: string[]) {
  return JSON.parse(await text(...args, '--json'));
}

async function failure(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run('node', [CLI, ...args], { env });
  } catch (error) {
    return error as { code: number; stderr: string };
  }
  throw new Error(`keyward ${args.join(' ')} succeeded`);
}

/** A table's rows as cells: columns are two or more spaces apart, the first line holds the headings. */
function rowsOf(table: string): { headings: string[]; rows: string[][] } {
  const [head = '', ...lines] = table.trimEnd().split('\n');
  return { headings: head.split(/ {2,}/), rows: lines.map((line) => line.split(/ {2,}/)) };
}

describe('keyward command line: tables for people, --json for scripts', () => {
  let policyId: number;
  let trialPolicyId: number;

  beforeAll(async () => {
    await text('product', 'create', 'Desktop App', '--code', 'desk');
    await text('product', 'create', 'Server App');
  });

  it('creates policies with trial, VM, duration, floating and feature options', async () => {
    const pro = await json(
      ...['policy', 'create', '--product', '1', '--name', 'Pro', '--max-machines', '3', '--no-vm'],
      ...['--duration', '30d', '--feature', 'seats:integer:5', '--feature', 'pro:boolean'],
      ...['--feature', 'edition:string:Home Office', '--max-deactivations', '2'],
    );
    expect(pro).toMatchObject({
      productId: 1,
      name: 'Pro',
      maxMachines: 3,
      maxDeactivations: 2,
      allowVm: false,
      isTrial: false,
      isFloating: false,
      durationSeconds: 30 * 86_400,
      featureFields: [
        { name: 'seats', type: 'integer', isRequired: false, defaultValue: 5 },
        { name: 'pro', type: 'boolean', isRequired: false, defaultValue: null },
        { name: 'edition', type: 'string', isRequired: false, defaultValue: 'Home Office' },
      ],
    });
    policyId = pro.id;
    const shown = await text(
      ...['policy', 'create', '--product', '1', '--name', 'Trial', '--trial', '--floating', '--lease', '10m'],
      ...['--max-overdraft', '2', '--allow-vm', '--duration', '14', '--expire-from', 'activation'],
    );
    // One policy, one line per field, values aligned.
    expect(shown).toMatch(/^id {13}\d+$/m);
    expect(shown).toMatch(/^trial {10}yes$/m);
    expect(shown).toMatch(/^floating {7}lease 10m$/m);
    expect(shown).toMatch(/^overdraft {6}2$/m);
    expect(shown).toMatch(/^duration {7}2w$/m);
    expect(shown).toMatch(/^expires from {3}first activation$/m);
    trialPolicyId = Number(/^id\s+(\d+)$/m.exec(shown)?.[1]);

    const { headings, rows } = rowsOf(await text('policy', 'list', '--product', '1'));
    expect(headings).toEqual([
      'ID',
      'PRODUCT',
      'NAME',
      'MACHINES',
      'VM',
      'FLOATING',
      'TRIAL',
      'DURATION',
      'FEATURES',
    ]);
    expect(rows).toEqual([
      [String(policyId), '1', 'Pro', '3', 'no', 'no', 'no', '30d', 'seats, pro, edition'],
      [String(trialPolicyId), '1', 'Trial', '1', 'yes', 'lease 10m', 'yes', '2w', '-'],
    ]);

    expect(
      (await failure('policy', 'create', '--product', '1', '--name', 'X', '--feature', 'seats:float')).stderr,
    ).toContain('expected name:type[:default]');
    expect(
      (await failure('policy', 'create', '--product', '1', '--name', 'X', '--duration', '3y')).stderr,
    ).toContain('expected a length of time');
    expect(
      (await failure('policy', 'create', '--product', '1', '--name', 'X', '--allow-vm', '--no-vm')).stderr,
    ).toContain('not both');
    // Core's rules stay core's: a default that does not fit its type is refused with core's code.
    expect(
      (await failure('policy', 'create', '--product', '1', '--name', 'X', '--feature', 'seats:integer:many'))
        .stderr,
    ).toContain('FEATURE_INVALID');
  });

  it(
    'creates keys as a short table, as bare keys with -q, and as full objects with --json',
    async () => {
      const table = await text(
        'license',
        'create',
        '--policy',
        String(policyId),
        '--count',
        '5',
        '--email',
        'Ann@Example.com',
      );
      const { headings, rows } = rowsOf(table);
      expect(headings).toEqual(['ID', 'KEY', 'STATUS', 'POLICY', 'EXPIRES', 'MACHINES', 'EMAIL', 'TAGS']);
      expect(rows).toHaveLength(5);
      for (const row of rows) {
        expect(row[1]).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
        expect(row.slice(2)).toEqual([
          'active',
          String(policyId),
          expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\dZ$/),
          '0',
          'ann@example.com',
          '-',
        ]);
      }
      // Columns line up: every row's key starts where the heading KEY does.
      const lines = table.trimEnd().split('\n');
      const keyColumn = (lines[0] as string).indexOf('KEY');
      for (const line of lines.slice(1)) expect(line.slice(keyColumn)).toMatch(/^[0-9A-Z]{5}-/);
      expect(lines.length).toBe(6); // one heading and five keys, not 180 lines of JSON

      const keys = (
        await text('license', 'create', '--policy', String(policyId), '--count', '3', '--tag', 'beta', '-q')
      )
        .trimEnd()
        .split('\n');
      expect(keys).toHaveLength(3);
      for (const key of keys) expect(key).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);

      const created = await json('license', 'create', '--policy', String(trialPolicyId), '--count', '2');
      expect(created).toHaveLength(2);
      expect(created[0]).toMatchObject({ policyId: trialPolicyId, status: 'active', productIds: [1] });
      const [featured] = await json(
        'license',
        'create',
        '--policy',
        String(policyId),
        '--feature',
        'seats=7',
        '--feature',
        'pro=true',
      );
      expect(featured.features).toMatchObject({ seats: 7, pro: true });
      expect(
        (await failure('license', 'create', '--policy', String(policyId), '--feature', 'colour=red')).stderr,
      ).toContain('colour');
    },
    SLOW,
  );

  it(
    'lists licenses with filters, a limit that says when more match, and keys only',
    async () => {
      const all = await json('license', 'list', '--limit', '1000');
      expect(all).toHaveLength(11);
      const customer = await json('customer', 'create', '--name', 'Bo', '--email', 'bo@example.com');
      const [owned] = await json(
        'license',
        'create',
        '--policy',
        String(policyId),
        '--customer',
        String(customer.id),
      );

      const keysOf = async (...filters: string[]) =>
        (await text('license', 'list', '-q', ...filters)).trimEnd().split('\n').filter(Boolean).sort();
      const keysWhere = (
        test: (l: { key: string; policyId: number; email: string | null; tags: string[] }) => boolean,
      ) =>
        all
          .filter(test)
          .map((l: { key: string }) => l.key)
          .sort();

      expect(await keysOf('--policy', String(trialPolicyId))).toEqual(
        keysWhere((l) => l.policyId === trialPolicyId),
      );
      expect(await keysOf('--email', 'ANN@example.com')).toEqual(
        keysWhere((l) => l.email === 'ann@example.com'),
      );
      expect(await keysOf('--tag', 'beta')).toEqual(keysWhere((l) => l.tags.includes('beta')));
      expect(await keysOf('--customer', String(customer.id))).toEqual([owned.key]);
      expect(await keysOf('--key', owned.key.slice(0, 7))).toEqual([owned.key]);
      // Any fragment, in any case, with or without its dashes.
      expect(await keysOf('--key', owned.key.slice(6, 13).toLowerCase())).toEqual([owned.key]);
      expect(await keysOf('--key', owned.key.slice(4, 13).replaceAll('-', ''))).toEqual([owned.key]);
      expect(await keysOf('--product', '2')).toEqual([]);
      expect(await text('license', 'list', '--product', '2')).toBe('No licenses.\n');

      const limited = await run('node', [CLI, 'license', 'list', '--limit', '4'], { env });
      expect(rowsOf(limited.stdout).rows).toHaveLength(4);
      expect(limited.stderr).toContain('more match');
      // Scripts get exactly the rows, nothing else on either stream.
      const scripted = await run('node', [CLI, 'license', 'list', '--limit', '4', '--json'], { env });
      expect(JSON.parse(scripted.stdout)).toHaveLength(4);
      expect(scripted.stderr).toBe('');

      expect((await failure('license', 'list', '--status', 'sleeping')).stderr).toContain(
        'expected one of active, suspended, revoked, expired',
      );
    },
    SLOW,
  );

  it(
    'suspends, reinstates, revokes and extends a license named by id or key',
    async () => {
      const [license] = await json('license', 'create', '--policy', String(policyId));
      const expiry = new Date(license.expiresAt).getTime();

      expect(await text('license', 'suspend', license.key)).toBe(
        `License ${license.id} (${license.key}) suspended.\n`,
      );
      expect(await keysOfStatus('suspended')).toContain(license.key);
      expect(await text('license', 'reinstate', String(license.id))).toMatch(
        new RegExp(
          `^License ${license.id} \\(${license.key}\\) reinstated; it is active and expires \\d{4}-`,
        ),
      );
      const extended = await json('license', 'extend', license.key, '--days', '10');
      expect(new Date(extended.expiresAt).getTime()).toBe(expiry + 10 * 86_400_000);
      expect(await text('license', 'extend', String(license.id), '--until', '2031-06-30')).toBe(
        `License ${license.id} (${license.key}) extended: it expires 2031-06-30 00:00Z and is active.\n`,
      );
      expect((await json('license', 'show', license.key)).expiresAt).toBe('2031-06-30T00:00:00.000Z');
      expect((await failure('license', 'extend', license.key)).stderr).toContain(
        'give either --days or --until',
      );
      expect((await failure('license', 'extend', license.key, '--until', '2031-02-30')).stderr).toContain(
        'expected an ISO-8601 date',
      );

      const revoked = await json('license', 'revoke', license.key);
      expect(revoked).toMatchObject({ id: license.id, status: 'revoked', revokedAt: expect.any(String) });
      const again = await failure('license', 'revoke', license.key);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('CONFLICT: the license is already revoked');
      expect((await failure('license', 'suspend', 'NO-SUCH-KEY')).stderr).toContain('LICENSE_NOT_FOUND');

      const shown = await text('license', 'show', String(license.id));
      expect(shown).toMatch(new RegExp(`^key {13}${license.key}$`, 'm'));
      expect(shown).toMatch(/^status {10}revoked$/m);
    },
    SLOW,
  );

  it(
    'manages customers, and prints no stored text that could steer the terminal',
    async () => {
      const created = await text(
        'customer',
        'create',
        '--name',
        'Eve \u001b[31mRed',
        '--email',
        'EVE@example.com',
        '--company',
        'Acme',
      );
      const id = Number(/^Customer (\d+) created: Eve \\u001b\[31mRed$/m.exec(created)?.[1]);
      expect(id).toBeGreaterThan(0);
      const listed = await text('customer', 'list', '--email', 'eve@example.com');
      expect(listed).not.toContain('\u001b');
      expect(rowsOf(listed).rows).toEqual([
        [String(id), 'Eve \\u001b[31mRed', 'eve@example.com', 'Acme', expect.any(String)],
      ]);

      expect(await json('customer', 'update', String(id), '--company', '', '--name', 'Eve')).toMatchObject({
        id,
        name: 'Eve',
        company: null,
        email: 'eve@example.com',
      });
      await text('license', 'create', '--policy', String(policyId), '--customer', String(id));
      const shown = await text('customer', 'show', String(id));
      expect(shown).toMatch(/^name {5}Eve$/m);
      expect(shown).toMatch(/^company {2}-$/m);
      expect(shown).toMatch(/Licenses:\nID {2}KEY/);
      expect(await json('customer', 'show', String(id))).toMatchObject({ id, name: 'Eve' });
      expect((await failure('customer', 'update', String(id))).stderr).toContain('give at least one of');

      expect(await json('customer', 'delete', String(id))).toEqual({ deleted: id });
      expect((await failure('customer', 'show', String(id))).stderr).toContain(
        `NOT_FOUND: customer ${id} does not exist`,
      );
    },
    SLOW,
  );

  it(
    'creates webhooks and tokens whose secrets are printed once, lists and removes them',
    async () => {
      const hook = await text(
        'webhook',
        'create',
        '--url',
        'https://hooks.example.com/keyward',
        '--event',
        'license.*,machine.activated',
        '--product',
        '1',
        '--description',
        'CRM',
      );
      const secret = /^ {2}(whsec_\S+)$/m.exec(hook)?.[1];
      expect(secret).toBeDefined();
      const hooks = await text('webhook', 'list');
      expect(hooks).not.toContain(secret as string);
      const { headings, rows } = rowsOf(hooks);
      expect(headings).toEqual(['ID', 'URL', 'EVENTS', 'PRODUCTS', 'ENABLED', 'DESCRIPTION']);
      expect(rows).toEqual([
        [
          expect.any(String),
          'https://hooks.example.com/keyward',
          'license.*, machine.activated',
          '1',
          'yes',
          'CRM',
        ],
      ]);
      const scripted = await json(
        'webhook',
        'create',
        '--url',
        'https://hooks.example.com/other',
        '--event',
        '*',
        '--disabled',
      );
      expect(scripted).toMatchObject({
        eventTypes: ['*'],
        isEnabled: false,
        secret: expect.stringMatching(/^whsec_/),
      });
      expect(await text('webhook', 'delete', String(scripted.id))).toBe(`Webhook ${scripted.id} deleted.\n`);
      expect(await json('webhook', 'list')).toHaveLength(1);
      expect(
        (await failure('webhook', 'create', '--url', 'http://127.0.0.1/x', '--event', '*')).stderr,
      ).toContain('INVALID_INPUT');

      const token = await text(
        'token',
        'create',
        '--name',
        'shop',
        '--scope',
        'licenses:read,licenses:write',
        '--method-lock',
        'key/createkey',
      );
      const tokenSecret = /^ {2}(kw_\S+)$/m.exec(token)?.[1];
      expect(token).toContain('shown only now');
      const tokens = await text('token', 'list');
      expect(tokens).not.toContain(tokenSecret as string);
      const shop = rowsOf(tokens).rows.find((r) => r[1] === 'shop');
      expect(shop?.slice(3)).toEqual(['licenses:read, licenses:write', 'all', '-', 'never', '-']);
      const listed = await json('token', 'list');
      const id = listed.find((t: { name: string }) => t.name === 'shop').id;
      expect(listed.find((t: { id: number }) => t.id === id)).toMatchObject({
        methodLock: ['key/createkey'],
      });
      expect(await text('token', 'revoke', String(id))).toBe(`Token ${id} revoked.\n`);
      expect((await json('token', 'list')).some((t: { id: number }) => t.id === id)).toBe(false);
    },
    SLOW,
  );

  it(
    'offers --json and --help on every command',
    async () => {
      const commandsOf = (help: string) =>
        [...(help.split('Commands:\n')[1] ?? '').matchAll(/^ {2}(\S+)/gm)]
          .map((m) => m[1] as string)
          .filter((c) => c !== 'help');
      const top = await text('--help');
      expect(top).toMatch(/^ {2}--json +print JSON for scripts/m);
      const groups = commandsOf(top);
      expect(groups).toEqual(expect.arrayContaining(['license', 'customer', 'webhook', 'token', 'policy']));
      // --json belongs to the program, so every command takes it, and each command's help says so.
      for (const group of ['license', 'customer', 'webhook', 'token', 'policy']) {
        const help = await text(group, '--help');
        expect(help, group).toMatch(/Global Options:\n {2}--json/);
        expect(commandsOf(help).length, group).toBeGreaterThan(1);
      }
      expect(commandsOf(await text('license', '--help'))).toEqual(
        expect.arrayContaining(['create', 'list', 'show', 'suspend', 'reinstate', 'revoke', 'extend']),
      );
      expect(await text('license', 'extend', '--help')).toMatch(/Global Options:\n {2}--json/);
    },
    SLOW,
  );
});

async function keysOfStatus(status: string): Promise<string[]> {
  return (await text('license', 'list', '--status', status, '-q')).trimEnd().split('\n');
}
