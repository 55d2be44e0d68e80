import { isFeatureName } from '../core/catalog/feature-name.js';
import { DomainError } from '../core/domain-error.js';
import type { ImportedLicense } from '../core/imports/imported-records.js';
import type { FeatureField, FeatureType, FeatureValue } from '../core/model.js';
import { type CsvError, csvRecords } from './csv.js';
import { type ImportContext, type ImportSource, SourceError, vendorDate } from './import-source.js';

const SAVE_EVERY = 100;
const DEFAULT_POLICY = 'Imported';
const KEY_FORMAT = 'XXXXX-XXXXX-XXXXX-XXXXX';

/** The columns a CSV import reads (docs/import.md); `key` and `product` are required. */
export const CSV_COLUMNS = [
  'key',
  'product',
  'policy',
  'max_machines',
  'expires_at',
  'created_at',
  'suspended',
  'email',
  'customer',
  'company',
  'notes',
  'tags',
  'features',
  'machines',
  'allowed_machines',
] as const;

const list = (value: string | undefined) =>
  (value ?? '')
    .split(';')
    .map((v) => v.trim())
    .filter(Boolean);

const isTrue = (value: string | undefined) => ['true', '1', 'yes', 'y'].includes((value ?? '').toLowerCase());

/** `features`: a JSON object, or `name=value;name=value` with true/false and whole numbers typed. */
function parseFeatures(value: string | undefined, row: number): Record<string, FeatureValue> {
  const raw = (value ?? '').trim();
  if (raw === '') return {};
  if (raw.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new SourceError(`row ${row}: features is not valid JSON`);
    }
    const out: Record<string, FeatureValue> = {};
    for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = v;
      else throw new SourceError(`row ${row}: feature ${name} must be text, a number or true/false`);
    }
    return out;
  }
  const out: Record<string, FeatureValue> = {};
  for (const pair of list(raw)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new SourceError(`row ${row}: features "${pair}" is not name=value`);
    const name = pair.slice(0, at).trim();
    const v = pair.slice(at + 1).trim();
    out[name] = v === 'true' ? true : v === 'false' ? false : /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  }
  return out;
}

const typeOf = (value: FeatureValue): FeatureType =>
  typeof value === 'boolean' ? 'boolean' : typeof value === 'number' ? 'integer' : 'string';

function date(value: string | undefined, column: string, row: number): Date | null {
  if (!value) return null;
  const parsed = vendorDate(value);
  if (!parsed) throw new SourceError(`row ${row}: ${column} "${value}" is not a date (use ISO 8601)`);
  return parsed;
}

interface Row {
  line: number;
  product: string;
  policyId: string;
  license: ImportedLicense;
  customer: { externalId: string; name: string; email: string | null; company: string | null } | null;
}

function readRows(csv: string): Row[] {
  let records: Array<Record<string, string>>;
  try {
    records = csvRecords(csv);
  } catch (error) {
    throw new SourceError(`the CSV cannot be read: ${(error as CsvError).message}`);
  }
  return records.map((r, index) => {
    const line = index + 2;
    const key = r.key ?? '';
    const product = r.product ?? '';
    if (!key) throw new SourceError(`row ${line}: key is empty`);
    if (!product) throw new SourceError(`row ${line}: product is empty`);
    const policy = r.policy || DEFAULT_POLICY;
    const policyId = `${product}\n${policy}`;
    const maxMachines = r.max_machines ? Number(r.max_machines) : null;
    if (maxMachines !== null && (!Number.isInteger(maxMachines) || maxMachines < 0))
      throw new SourceError(`row ${line}: max_machines must be a whole number (0 = unlimited)`);
    const email = r.email?.toLowerCase() || null;
    const customerName = r.customer || null;
    const customer =
      email || customerName
        ? {
            externalId: email ?? `name:${customerName}`,
            name: customerName ?? email ?? '',
            email,
            company: r.company || null,
          }
        : null;
    return {
      line,
      product,
      policyId,
      customer,
      license: {
        key,
        policyExternalId: policyId,
        customerExternalId: customer?.externalId ?? null,
        email,
        notes: r.notes || null,
        expiresAt: date(r.expires_at, 'expires_at', line),
        createdAt: date(r.created_at, 'created_at', line) ?? undefined,
        isSuspended: isTrue(r.suspended),
        maxMachines,
        features: parseFeatures(r.features, line),
        tags: list(r.tags),
        allowedMachines: list(r.allowed_machines),
        machines: list(r.machines).map((fingerprint) => ({ fingerprint })),
      },
    };
  });
}

/**
 * Licenses from a CSV file, one row per key (columns in docs/import.md): products and policies are made once
 * per name, a policy's feature fields from the features its rows carry, customers once per e-mail.
 */
export const csvSource: ImportSource = {
  async run(ctx: ImportContext) {
    if (typeof ctx.options.csv !== 'string')
      throw new DomainError('INVALID_INPUT', 'a CSV import needs the CSV text', { field: 'csv' });
    const rows = readRows(ctx.options.csv);
    const checkpoint = ctx.checkpoint ?? {};
    const firstPass = checkpoint.row === undefined;
    const fieldsOf = new Map<string, Map<string, FeatureType>>();
    for (const row of rows) {
      const fields = fieldsOf.get(row.policyId) ?? new Map<string, FeatureType>();
      for (const [name, value] of Object.entries(row.license.features ?? {})) {
        if (!isFeatureName(name))
          throw new SourceError(`row ${row.line}: feature name "${name}" is not allowed`);
        const type = typeOf(value);
        const known = fields.get(name);
        fields.set(name, known === undefined || known === type ? type : 'string');
      }
      fieldsOf.set(row.policyId, fields);
    }
    for (const product of new Set(rows.map((r) => r.product))) {
      const result = await ctx.keyward.imports.upsertProduct(ctx.source, ctx.actor, {
        externalId: product,
        name: product,
      });
      if (firstPass) ctx.count('products', result.outcome);
    }
    for (const [policyId, fields] of fieldsOf) {
      const [product, name] = policyId.split('\n') as [string, string];
      const featureFields: FeatureField[] = [...fields].map(([field, type]) => ({
        name: field,
        type,
        isRequired: false,
        defaultValue: null,
      }));
      const result = await ctx.keyward.imports.upsertPolicy(ctx.source, ctx.actor, {
        externalId: policyId,
        productExternalId: product,
        name,
        maxMachines: 1,
        maxDeactivations: -1,
        allowVm: true,
        featureFields,
        keyFormat: KEY_FORMAT,
      });
      if (firstPass) ctx.count('policies', result.outcome);
    }
    ctx.addTotal(rows.length);
    const seenCustomers = new Set<string>();
    let index = Number(checkpoint.row ?? 0) || 0;
    let saved = index;
    for (; index < rows.length; index++) {
      const row = rows[index] as Row;
      // String features of a field typed string stay text; a mixed field keeps each value as text.
      const fields = fieldsOf.get(row.policyId);
      for (const [name, value] of Object.entries(row.license.features ?? {}))
        if (fields?.get(name) === 'string' && typeof value !== 'string')
          (row.license.features as Record<string, FeatureValue>)[name] = String(value);
      if (row.customer && !seenCustomers.has(row.customer.externalId)) {
        seenCustomers.add(row.customer.externalId);
        const result = await ctx.keyward.imports.upsertCustomer(ctx.source, ctx.actor, row.customer);
        ctx.count('customers', result.outcome);
      }
      ctx.addCounts(await ctx.keyward.imports.upsertLicense(ctx.source, ctx.actor, row.license));
      if ((index + 1) % SAVE_EVERY === 0 || index + 1 === rows.length) {
        await ctx.save({ row: index + 1 }, index + 1 - saved);
        saved = index + 1;
      }
    }
  },
};
