import { type TSchema, Type } from 'typebox';
import { SCOPES } from '../../core/access/scopes.js';
import { FEATURE_NAME_PATTERN, MAX_FEATURE_NAME_LENGTH } from '../../core/catalog/feature-name.js';
import { LICENSE_STATUSES } from '../../core/licenses/license-status.js';
import { EXPIRATION_BASES, FEATURE_TYPES, PLATFORMS } from '../../core/model.js';
import { VALIDATION_CODES } from '../../core/validation/validation-codes.js';
import { EXAMPLE } from './openapi/examples.js';

/**
 * Request and response shapes of the native API; they drive validation, serialization and /openapi.json. A
 * response shape with a `title` is a named type of the API: the clients' types are generated from them
 * (`npm run generate`).
 */

type Annotations = { description?: string; examples?: unknown[]; title?: string };
export const Nullable = <T extends TSchema>(schema: T, annotations: Annotations = {}) =>
  Type.Union([schema, Type.Null()], annotations);
const literalUnion = <const T extends string[]>(values: readonly [...T], annotations: Annotations = {}) =>
  Type.Enum(values, annotations);
/** An instant as the API writes it: ISO 8601 in UTC, with milliseconds. */
const instant = (description: string, example: string = EXAMPLE.createdAt) =>
  Type.String({ format: 'date-time', description, examples: [example] });

export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
export const IdParams = Type.Object({ id: Type.Integer({ ...Id, description: 'The id', examples: [42] }) });
export const Timestamp = Type.String({ format: 'date-time' });
const CreatedAt = instant('When it was created');
const Name = Type.String({ minLength: 1, maxLength: 200 });
const ShortText = Type.String({ maxLength: 200 });
const LongText = Type.String({ maxLength: 10_000 });
const Seconds = Type.Integer({ minimum: 1, maximum: 100 * 365 * 86_400 });
const Fingerprint = Type.String({ minLength: 1, maxLength: 1024 });
const FeatureValue = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()], {
  title: 'FeatureValue',
  description: "A feature's value: text, a number, a boolean, or a date as ISO 8601 text",
});

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many items' }),
  ),
  after: Type.Optional(
    Type.String({
      maxLength: 40,
      description: 'The `nextCursor` of the previous page; absent for the first page',
      examples: [EXAMPLE.cursor],
    }),
  ),
};

const PRODUCT_CODE = 'A short unique code of your own (e.g. a SKU); null for none';
const ProductName = Type.String({ ...Name, description: 'Shown to people', examples: ['Desktop App'] });
const ProductCode = Type.String({
  minLength: 1,
  maxLength: 100,
  description: PRODUCT_CODE,
  examples: ['DESKTOP'],
});

export const Product = Type.Object(
  {
    id: Type.Integer({ examples: [1] }),
    name: ProductName,
    code: Nullable(Type.String(), { description: PRODUCT_CODE, examples: ['DESKTOP'] }),
    createdAt: CreatedAt,
  },
  { title: 'Product', description: 'A product: what licenses unlock.' },
);
export const ProductCreate = Type.Object(
  { name: ProductName, code: Type.Optional(Nullable(ProductCode)) },
  { additionalProperties: false },
);
export const ProductUpdate = Type.Partial(ProductCreate, { additionalProperties: false });

export const FeatureField = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: MAX_FEATURE_NAME_LENGTH,
      pattern: FEATURE_NAME_PATTERN,
      description: 'Words of letters, digits, `_`, `.` and `-`, separated by single spaces.',
    }),
    type: literalUnion(FEATURE_TYPES, { description: 'The type of its values; a date is an ISO 8601 text' }),
    isRequired: Type.Optional(
      Type.Boolean({ default: false, description: 'Every license of the policy must give a value' }),
    ),
    defaultValue: Type.Optional(
      Nullable(FeatureValue, { description: 'The value of licenses that give none; null for none' }),
    ),
  },
  { additionalProperties: false },
);

const FEATURE_FIELDS = "The typed features each license of the policy carries (the policy's feature schema)";
const policyFields = {
  name: Type.String({ ...Name, description: 'Shown to people', examples: ['Single seat, one year'] }),
  maxMachines: Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    description: 'Machines (seats) a license may hold at once; 0 = unlimited. Default 1',
    examples: [1],
  }),
  maxDeactivations: Type.Integer({
    minimum: -1,
    maximum: 1_000_000_000,
    description: 'Machines a license may deactivate in its life; -1 = unlimited (default)',
    examples: [-1],
  }),
  isFloating: Type.Boolean({
    description: 'Seats are leases that lapse unless renewed by heartbeats (concurrent use); default false',
  }),
  leaseSeconds: Type.Integer({
    minimum: 30,
    maximum: 30 * 86_400,
    description: 'How long a floating lease lasts without a heartbeat; default 900',
    examples: [900],
  }),
  maxOverdraft: Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    description: 'Floating leases granted past maxMachines, marked isOverdraft; default 0',
  }),
  allowVm: Type.Boolean({ description: 'Machines that report isVm may activate; default true' }),
  durationSeconds: Nullable(Seconds, {
    description: 'How long a license lasts from expirationBasis; null (default) = perpetual',
    examples: [31_536_000],
  }),
  expirationBasis: literalUnion(EXPIRATION_BASES, {
    description: "Where a license's duration starts: its creation (default) or its first activation",
  }),
  activationValiditySeconds: Nullable(Seconds, {
    description:
      "Each machine's activation is valid this long from its first activation; null (default) = as long as the license",
  }),
  isTrial: Type.Boolean({ description: 'Licenses of this policy are trials; default false' }),
  allowLicenseAuth: Type.Boolean({
    description:
      'Apps may use the license key itself as credential (validate, activate, heartbeat, deactivate); default true',
  }),
  keyFormat: Type.String({
    minLength: 16,
    maxLength: 100,
    pattern: '^[A-Z0-9X-]+$',
    description:
      'Pattern of generated keys: each X is a random character, anything else is kept; at least 16 X',
    examples: [EXAMPLE.keyFormat],
  }),
  featureFields: Type.Array(FeatureField, {
    maxItems: 100,
    description: FEATURE_FIELDS,
  }),
};
export const Policy = Type.Object(
  {
    id: Type.Integer({ examples: [3] }),
    productId: Type.Integer({ description: 'The product its licenses unlock', examples: [1] }),
    ...policyFields,
    featureFields: Type.Array(
      Type.Object(
        {
          name: Type.String({ examples: ['seats'] }),
          type: literalUnion(FEATURE_TYPES, { title: 'FeatureType' }),
          isRequired: Type.Boolean(),
          defaultValue: Nullable(FeatureValue),
        },
        { title: 'FeatureField' },
      ),
      { description: FEATURE_FIELDS },
    ),
    createdAt: CreatedAt,
  },
  { title: 'Policy', description: 'A policy: the rules a family of licenses of one product follows.' },
);
export const PolicyCreate = Type.Object(
  { productId: Id, ...Type.Partial(Type.Object(policyFields)).properties, name: policyFields.name },
  { additionalProperties: false },
);
export const PolicyUpdate = Type.Partial(Type.Object(policyFields), { additionalProperties: false });

export const Customer = Type.Object(
  {
    id: Type.Integer({ examples: [5] }),
    name: Type.String({ examples: ['Ada Lovelace'] }),
    email: Nullable(Type.String(), { examples: [EXAMPLE.email] }),
    company: Nullable(Type.String(), { examples: ['Analytical Engines Ltd'] }),
    createdAt: CreatedAt,
  },
  { title: 'Customer', description: 'A customer: who licenses are sold to.' },
);
const Email = Type.String({ format: 'email', maxLength: 320, examples: [EXAMPLE.email] });
export const CustomerCreate = Type.Object(
  {
    name: Type.String({ ...Name, examples: ['Ada Lovelace'] }),
    email: Type.Optional(Nullable(Email)),
    company: Type.Optional(Nullable(ShortText)),
  },
  { additionalProperties: false },
);
export const CustomerUpdate = Type.Partial(CustomerCreate, { additionalProperties: false });

const NamedUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200, examples: ['ada'] }),
    platform: Type.Optional(
      literalUnion(PLATFORMS, { description: 'The operating system the name counts on; default any' }),
    ),
  },
  { additionalProperties: false },
);
const Overrides = Type.Object(
  {
    maxMachines: Type.Optional(Nullable(policyFields.maxMachines)),
    maxDeactivations: Type.Optional(Nullable(policyFields.maxDeactivations)),
    isFloating: Type.Optional(Nullable(Type.Boolean())),
    leaseSeconds: Type.Optional(Nullable(policyFields.leaseSeconds)),
    maxOverdraft: Type.Optional(Nullable(policyFields.maxOverdraft)),
    allowVm: Type.Optional(Nullable(Type.Boolean())),
  },
  { additionalProperties: false },
);

const ALLOWED_MACHINES = 'Fingerprints that may activate even when every seat is taken';
const NAMED_USERS = 'When not empty, only these users may activate (activation sends `username`)';
const licenseFields = {
  productIds: Type.Array(Id, { maxItems: 100, description: 'Products unlocked besides the policy’s own' }),
  customerId: Nullable(Id, { description: 'The customer it was sold to; null for none', examples: [5] }),
  email: Nullable(Email, { description: "The licensee's email address; null for none" }),
  notes: Nullable(LongText, { description: 'Notes of your own, never shown to apps' }),
  alias: Nullable(ShortText, { description: 'A second name of the license (an order number…)' }),
  expiresAt: Nullable(Timestamp, {
    description: "When it expires; null = never. Default: from the policy's duration",
    examples: [EXAMPLE.expiresAt],
  }),
  overrides: Overrides,
  isCleanable: Type.Boolean({
    description: 'Deleted automatically once expired, or an hour after creation if it never expires',
  }),
  features: Type.Record(Type.String({ maxLength: 100 }), Nullable(FeatureValue), {
    description: "Values of the policy's feature fields by name; null removes one",
    examples: [{ seats: 5, edition: 'pro' }],
  }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
    maxItems: 100,
    description: 'Labels of your own to find licenses by',
    examples: [['reseller-eu', 'q3-campaign']],
  }),
  allowedMachines: Type.Array(Fingerprint, {
    maxItems: 1000,
    description: ALLOWED_MACHINES,
  }),
  namedUsers: Type.Array(NamedUser, {
    maxItems: 1000,
    description: NAMED_USERS,
  }),
};
export const LicenseCreate = Type.Object(
  {
    policyId: Type.Integer({ ...Id, description: 'The policy it follows', examples: [3] }),
    key: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 200,
        pattern: '^[\\x21-\\x7E]+$',
        description: "A key of your own; default: one generated from the policy's keyFormat",
        examples: [EXAMPLE.licenseKey],
      }),
    ),
    isSuspended: Type.Optional(Type.Boolean({ description: 'Create it suspended; default false' })),
    ...Type.Partial(Type.Object(licenseFields)).properties,
  },
  { additionalProperties: false },
);
export const LicenseBatchCreate = Type.Object(
  {
    policyId: Id,
    count: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: 'Create this many licenses with generated keys and default settings (or give licenses)',
      }),
    ),
    licenses: Type.Optional(
      Type.Array(Type.Omit(LicenseCreate, ['policyId'], { additionalProperties: false }), {
        minItems: 1,
        maxItems: 1000,
        description:
          'The licenses to create, each as POST /v1/licenses takes it without policyId (or give count)',
      }),
    ),
  },
  { additionalProperties: false },
);
export const LicenseUpdate = Type.Object(
  { policyId: Type.Optional(Id), ...Type.Partial(Type.Object(licenseFields)).properties },
  { additionalProperties: false },
);
export const LicenseListQuery = Type.Object(
  {
    ...PageQuery,
    productId: Type.Optional(Type.Integer({ ...Id, description: 'Licenses unlocking this product' })),
    policyId: Type.Optional(Type.Integer({ ...Id, description: 'Licenses of this policy' })),
    customerId: Type.Optional(Type.Integer({ ...Id, description: 'Licenses of this customer' })),
    email: Type.Optional(Type.String({ maxLength: 320, description: 'Licenses with exactly this email' })),
    tag: Type.Optional(Type.String({ maxLength: 100, description: 'Licenses carrying this tag' })),
    key: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          'Keys containing this text anywhere, ignoring case, dashes and spaces (`dz45r` finds JNQN5-DZ45R-…); ' +
          'one or two characters match the beginning of keys',
      }),
    ),
    status: Type.Optional(literalUnion(LICENSE_STATUSES, { description: 'Licenses in this state' })),
    order: Type.Optional(
      Type.Enum(['desc', 'asc'], { description: 'desc (default): newest first; asc: oldest first' }),
    ),
    withTotal: Type.Optional(
      Type.Boolean({
        description:
          'Also answer `total`, how many licenses match the filters (counted up to 10,000), and `isTotalExact`',
      }),
    ),
  },
  { additionalProperties: false },
);
export const ExtendBody = Type.Object(
  {
    seconds: Type.Optional(
      Type.Integer({
        ...Seconds,
        description: 'Move the expiry this much later (from now if it has passed)',
        examples: [2_592_000],
      }),
    ),
    expiresAt: Type.Optional(instant('Set the expiry to this instant', EXAMPLE.expiresAt)),
  },
  { additionalProperties: false },
);

const LicenseStatus = literalUnion(LICENSE_STATUSES, {
  title: 'LicenseStatus',
  description: 'revoked, else suspended, else expired (expiresAt has passed), else active',
});

export const License = Type.Object(
  {
    id: Type.Integer({ examples: [1841] }),
    key: Type.String({
      description: 'What the licensee types in, and apps present',
      examples: [EXAMPLE.licenseKey],
    }),
    policyId: Type.Integer({ description: 'The policy it follows', examples: [3] }),
    productIds: Type.Array(Type.Integer(), {
      description: "Every product the key unlocks; the policy's product first",
      examples: [[1]],
    }),
    customerId: Nullable(Type.Integer(), { description: 'The customer it was sold to', examples: [5] }),
    email: Nullable(Type.String(), { examples: [EXAMPLE.email] }),
    notes: Nullable(Type.String()),
    alias: Nullable(Type.String()),
    status: LicenseStatus,
    expiresAt: Nullable(Timestamp, {
      description: 'When it expires; null = never',
      examples: [EXAMPLE.expiresAt],
    }),
    firstActivatedAt: Nullable(Timestamp, {
      description: 'When its first machine activated; null = never',
      examples: [EXAMPLE.updatedAt],
    }),
    isSuspended: Type.Boolean({ description: 'Suspended until reinstated' }),
    revokedAt: Nullable(Timestamp, { description: 'When it was revoked, for good; null = not revoked' }),
    overrides: Type.Object(
      {
        maxMachines: Nullable(Type.Integer()),
        maxDeactivations: Nullable(Type.Integer()),
        isFloating: Nullable(Type.Boolean()),
        leaseSeconds: Nullable(Type.Integer()),
        maxOverdraft: Nullable(Type.Integer()),
        allowVm: Nullable(Type.Boolean()),
      },
      {
        title: 'LicenseOverrides',
        description: "This license's own values of its policy's rules; null inherits",
      },
    ),
    isCleanable: licenseFields.isCleanable,
    activationCount: Type.Integer({ description: 'Machines activated in its life' }),
    deactivationCount: Type.Integer({
      description: 'Machines deactivated in its life (maxDeactivations counts these)',
    }),
    resetCount: Type.Integer({ description: 'Times its machines were all released by the reset action' }),
    features: Type.Record(Type.String(), FeatureValue, {
      description: 'Feature values by name',
      examples: [{ seats: 5, edition: 'pro' }],
    }),
    tags: Type.Array(Type.String(), { examples: [['reseller-eu']] }),
    allowedMachines: Type.Array(Type.String(), { description: ALLOWED_MACHINES }),
    namedUsers: Type.Array(
      Type.Object({ username: Type.String(), platform: Type.String() }, { title: 'NamedUser' }),
      { description: NAMED_USERS },
    ),
    createdAt: CreatedAt,
    updatedAt: instant('When it last changed', EXAMPLE.updatedAt),
    lastValidatedAt: Nullable(Timestamp, {
      description:
        'When it was last validated, to the minute (a validation less than a minute after the time recorded keeps it); null = never',
      examples: [EXAMPLE.validatedAt],
    }),
  },
  { title: 'License', description: 'A license: a key and what it allows.' },
);

const FINGERPRINT = "The machine's identifier, computed by the app (e.g. a hash of hardware ids)";
const FingerprintText = Type.String({
  ...Fingerprint,
  description: FINGERPRINT,
  examples: [EXAMPLE.fingerprint],
});

export const Machine = Type.Object(
  {
    id: Type.Integer({ examples: [12] }),
    licenseId: Type.Integer({ examples: [1841] }),
    fingerprint: Type.String({ description: FINGERPRINT, examples: [EXAMPLE.fingerprint] }),
    name: Nullable(Type.String(), { examples: ['Build server 2'] }),
    ip: Nullable(Type.String(), { description: 'The address it activated from', examples: [EXAMPLE.ip] }),
    platform: Nullable(Type.String(), { examples: ['linux'] }),
    isVm: Type.Boolean({ description: 'It reported running inside a virtual machine' }),
    username: Nullable(Type.String(), { description: 'The named user it activated for' }),
    createdAt: instant('When it activated'),
    lastSeenAt: instant('Its last activation, heartbeat or validation', EXAMPLE.validatedAt),
    leaseExpiresAt: Nullable(Timestamp, {
      description:
        'Floating licenses: the seat is free again after this instant unless a heartbeat renews it',
    }),
    isOverdraft: Type.Boolean({ description: 'A floating lease granted past maxMachines (maxOverdraft)' }),
    expiresAt: Nullable(Timestamp, {
      description: 'When this activation ends (activationValiditySeconds); null = with the license',
    }),
    deactivatedAt: Nullable(Timestamp, { description: 'When it gave its seat back; null = active' }),
  },
  { title: 'Machine', description: 'A machine: one activation (seat) of a license.' },
);
export const ActivateBody = Type.Object(
  {
    licenseId: Type.Optional(Type.Integer({ ...Id, description: 'The license, by id (or give key)' })),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'The license, by key (or give licenseId); a license key credential may leave both out',
        examples: [EXAMPLE.licenseKey],
      }),
    ),
    fingerprint: FingerprintText,
    name: Type.Optional(
      Nullable(ShortText, { description: 'A name for people', examples: ['Build server 2'] }),
    ),
    platform: Type.Optional(Nullable(Type.String({ maxLength: 100 }), { examples: ['linux'] })),
    isVm: Type.Optional(
      Type.Boolean({ description: "The machine is virtual (the policy's allowVm decides)" }),
    ),
    username: Type.Optional(
      Nullable(Type.String({ maxLength: 200 }), { description: 'Licenses with named users: who activates' }),
    ),
    userPlatform: Type.Optional(
      literalUnion(PLATFORMS, { description: "The named user's operating system" }),
    ),
    productId: Type.Optional(
      Type.Integer({
        ...Id,
        description: 'The product the app is; refused if the license does not unlock it',
      }),
    ),
  },
  { additionalProperties: false },
);
export const MachineListQuery = Type.Object(
  {
    ...PageQuery,
    licenseId: Type.Optional(
      Type.Integer({ ...Id, description: "The license's machines; required for locked credentials" }),
    ),
    includeDeactivated: Type.Optional(
      Type.Boolean({ description: 'Also machines that gave their seat back' }),
    ),
  },
  { additionalProperties: false },
);
export const HeartbeatBody = Type.Object(
  {
    leaseSeconds: Type.Optional(
      Type.Integer({
        ...policyFields.leaseSeconds,
        description: "Renew the lease for this long instead of the policy's",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ValidateBody = Type.Object(
  {
    fingerprint: Type.Optional(
      Type.String({ ...FingerprintText, description: 'Also check that this machine is activated' }),
    ),
    productId: Type.Optional(
      Type.Integer({ ...Id, description: 'Also check that the license unlocks this product' }),
    ),
    features: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 100,
        description: 'Also check that the license carries these features',
        examples: [['pro']],
      }),
    ),
    nonce: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Echoed in the signed answer, so an old answer cannot be replayed',
        examples: [EXAMPLE.nonce],
      }),
    ),
    sign: Type.Optional(
      Type.Boolean({
        description:
          'false: leave out the Keyward-Signature header (for callers that do not verify it); default true',
      }),
    ),
  },
  { additionalProperties: false },
);
export const ValidateKeyBody = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The key to validate',
      examples: [EXAMPLE.licenseKey],
    }),
    ...ValidateBody.properties,
  },
  { additionalProperties: false },
);
/**
 * What the caller asked, echoed inside every signed answer: a signature alone proves the server wrote the
 * answer, this proves the answer is about the caller's own request (a proxy that swaps the key or the
 * fingerprint of the request gets an answer about the swapped one, which the app refuses).
 */
export const AnsweredRequest = Type.Object(
  {
    key: Nullable(Type.String({ description: 'the key as sent (validate-key); null when asked by id' })),
    licenseId: Nullable(
      Type.Integer({ description: 'the id in the path (validate); null for validate-key' }),
    ),
    fingerprint: Nullable(Type.String()),
    productId: Nullable(Type.Integer()),
    features: Nullable(Type.Array(Type.String())),
  },
  {
    title: 'AnsweredRequest',
    description: 'The request this answer is about, exactly as received (null: not given).',
  },
);
const ValidationCode = literalUnion(Object.keys(VALIDATION_CODES), {
  title: 'ValidationCode',
  description: `The outcome; append only, apps compare it:\n${Object.entries(VALIDATION_CODES)
    .map(([code, detail]) => `- \`${code}\`: ${detail}`)
    .join('\n')}`,
});
export const ValidationResult = Type.Object(
  {
    valid: Type.Boolean({ description: 'Whether the app may run' }),
    code: ValidationCode,
    detail: Type.String({ description: 'The outcome in words', examples: [VALIDATION_CODES.VALID] }),
    nonce: Nullable(Type.String(), { description: 'The nonce sent, echoed', examples: [EXAMPLE.nonce] }),
    ts: instant('The server time of the answer: refuse answers far from your clock', EXAMPLE.validatedAt),
    request: AnsweredRequest,
    license: Nullable(License, {
      description: 'The license; null when no license the caller may see has the key',
    }),
    machine: Nullable(Machine, { description: 'The machine of the fingerprint sent, if it is activated' }),
  },
  { title: 'ValidationResult', description: 'A validation: whether the license lets the app run, and why.' },
);

const OWNER_TYPE = 'What the value belongs to';
const OwnerType = literalUnion(['license', 'machine', 'product'], { description: OWNER_TYPE });
export const DataObject = Type.Object(
  {
    id: Type.Integer({ examples: [8] }),
    ownerType: Type.String({ description: OWNER_TYPE, examples: ['license'] }),
    ownerId: Type.Integer({ description: 'The id of the license, machine or product', examples: [1841] }),
    name: Type.String({ examples: ['credits'] }),
    intValue: Type.Integer({ examples: [250] }),
    stringValue: Type.String({ examples: [''] }),
  },
  {
    title: 'DataObject',
    description: 'A named integer and text value kept on a license, machine or product.',
  },
);
const SafeInt = Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
export const DataObjectCreate = Type.Object(
  {
    ownerType: OwnerType,
    ownerId: Type.Integer({ ...Id, description: 'The id of the license, machine or product' }),
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      description: "Unique among its owner's data objects",
      examples: ['credits'],
    }),
    intValue: Type.Optional(Type.Integer({ ...SafeInt, description: 'Default 0' })),
    stringValue: Type.Optional(Type.String({ maxLength: 10_000, description: 'Default empty' })),
  },
  { additionalProperties: false },
);
export const DataObjectUpdate = Type.Partial(Type.Omit(DataObjectCreate, ['ownerType', 'ownerId']), {
  additionalProperties: false,
});
export const DataObjectListQuery = Type.Object(
  {
    ownerType: OwnerType,
    ownerId: Type.Integer({ ...Id, description: 'The id of the license, machine or product' }),
  },
  { additionalProperties: false },
);
export const DataObjectAdd = Type.Object(
  {
    by: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        default: 1,
        description: 'How much to add or subtract',
      }),
    ),
    bound: Type.Optional(
      Nullable(SafeInt, {
        description: 'The value may not pass this (a maximum when incrementing, a minimum when decrementing)',
        examples: [1000],
      }),
    ),
  },
  { additionalProperties: false },
);

export const Event = Type.Object(
  {
    id: Type.Integer({ examples: [90210] }),
    type: Type.String({ description: 'What happened', examples: ['machine.activated'] }),
    licenseId: Nullable(Type.Integer(), { examples: [1841] }),
    productId: Nullable(Type.Integer(), { examples: [1] }),
    machineId: Nullable(Type.Integer(), { examples: [12] }),
    tokenId: Nullable(Type.Integer(), { description: 'The API token that made the change; null for others' }),
    code: Nullable(Type.String(), {
      description: 'The outcome code of a validation or refusal',
      examples: ['VALID'],
    }),
    ip: Nullable(Type.String(), { description: 'The address of the caller', examples: [EXAMPLE.ip] }),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Details of the event, by type',
      examples: [{ fingerprint: EXAMPLE.fingerprint }],
    }),
    createdAt: instant('When it happened'),
  },
  { title: 'DomainEvent', description: 'An entry of the audit log.' },
);
export const EventListQuery = Type.Object(
  {
    ...PageQuery,
    type: Type.Optional(
      Type.String({ maxLength: 100, description: 'Events of this type', examples: ['license.created'] }),
    ),
    licenseId: Type.Optional(Type.Integer({ ...Id, description: "The license's events (or give key)" })),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'The license with this key: exact, or the one key equal to it ignoring case, dashes and spaces; a key the caller may not reach answers as an unknown one (404). Not with licenseId',
      }),
    ),
    productId: Type.Optional(Type.Integer({ ...Id, description: "The product's events" })),
    machineId: Type.Optional(Type.Integer({ ...Id, description: "The machine's events" })),
    since: Type.Optional(instant('Events at or after this instant')),
    until: Type.Optional(instant('Events before this instant', EXAMPLE.updatedAt)),
  },
  { additionalProperties: false },
);

/** Cryptolens' access-token locks; absent when not set. */
const tokenDialectLocks = {
  methodLock: Type.Optional(
    Type.Array(
      Type.String({ minLength: 3, maxLength: 100, pattern: '^[A-Za-z][A-Za-z0-9]*/[A-Za-z][A-Za-z0-9]*$' }),
      {
        maxItems: 200,
        description: 'Cryptolens methods the token may call, e.g. key/Activate; absent = every method',
      },
    ),
  ),
  featureLock: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: "Cryptolens' feature lock; 0 = none" }),
  ),
  canIssueLicenseTokens: Type.Optional(
    Type.Boolean({
      description: 'Cryptolens key lock -1: may call auth/KeyLock for a token locked to one license',
    }),
  ),
};

/** Token limits (LimeLM's API-key device lock, a reseller's seat allowance, a dormant flag); absent when not set. */
const tokenLimitFields = {
  maxClientAddresses: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: 'At most this many client IP addresses may use the token; reset them to move it',
      }),
    ),
  ),
  activationAllowance: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 0,
        maximum: 2_000_000_000,
        description: 'Seats the token may grant, in total, to licenses it creates or raises (a reseller)',
      }),
    ),
  ),
  isDormant: Type.Optional(
    Type.Boolean({ description: 'A dormant token reads but may not change anything' }),
  ),
};
export const TokenLimitsUpdate = Type.Object(tokenLimitFields, {
  additionalProperties: false,
  minProperties: 1,
});

const tokenFields = {
  scopes: {
    description: 'What it may do; `*` is everything',
    examples: [['licenses:read', 'licenses:validate']],
  },
  productIds: { description: 'Its product lock: it reaches only these products; empty = every product' },
  licenseId: { description: 'Its license lock: it reaches only this license; null = none' },
  ipAllowlist: {
    description: 'Addresses or CIDR ranges it may be used from; empty = anywhere',
    examples: [['203.0.113.0/24']],
  },
  bindToFirstIp: { description: 'It may be used only from the address it is first used from' },
  expiresAt: { description: 'When it stops working; null = never', examples: [EXAMPLE.expiresAt] },
};

export const Token = Type.Object(
  {
    id: Type.Integer({ examples: [4] }),
    name: Type.String({ examples: ['CI release pipeline'] }),
    prefix: Type.String({
      description: 'The start of its secret, to recognise it by',
      examples: [EXAMPLE.tokenPrefix],
    }),
    scopes: Type.Array(Type.String(), tokenFields.scopes),
    productIds: Type.Array(Type.Integer(), tokenFields.productIds),
    licenseId: Nullable(Type.Integer(), tokenFields.licenseId),
    ipAllowlist: Type.Array(Type.String(), tokenFields.ipAllowlist),
    bindToFirstIp: Type.Boolean(tokenFields.bindToFirstIp),
    boundIp: Nullable(Type.String(), { description: 'With bindToFirstIp: the address it is bound to' }),
    source: Type.String({
      description: 'Where it came from: api, env (the operator), bootstrap, import…',
      examples: ['api'],
    }),
    expiresAt: Nullable(Timestamp, tokenFields.expiresAt),
    revokedAt: Nullable(Timestamp, { description: 'When it was revoked; null = not revoked' }),
    createdAt: CreatedAt,
    ...tokenDialectLocks,
    ...tokenLimitFields,
    activationsGranted: Type.Optional(Type.Integer({ description: 'Seats granted against the allowance' })),
  },
  { title: 'Token', description: 'An API token, without its secret.' },
);
export const TokenCreate = Type.Object(
  {
    name: Type.String({ ...Name, description: 'Shown to people', examples: ['CI release pipeline'] }),
    scopes: Type.Array(literalUnion(SCOPES), {
      minItems: 1,
      maxItems: SCOPES.length,
      ...tokenFields.scopes,
      description: `${tokenFields.scopes.description}; at most what the creating token holds`,
    }),
    productIds: Type.Optional(Type.Array(Id, { maxItems: 100, ...tokenFields.productIds })),
    licenseId: Type.Optional(Nullable(Id, tokenFields.licenseId)),
    ipAllowlist: Type.Optional(
      Type.Array(Type.String({ minLength: 2, maxLength: 50 }), { maxItems: 100, ...tokenFields.ipAllowlist }),
    ),
    bindToFirstIp: Type.Optional(Type.Boolean(tokenFields.bindToFirstIp)),
    expiresAt: Type.Optional(Nullable(Timestamp, tokenFields.expiresAt)),
    ...tokenDialectLocks,
    ...tokenLimitFields,
  },
  { additionalProperties: false },
);
export const TokenListQuery = Type.Object(
  { includeRevoked: Type.Optional(Type.Boolean({ description: 'Also revoked tokens' })) },
  { additionalProperties: false },
);

export const SigningKey = Type.Object(
  {
    id: Type.Integer({ examples: [1] }),
    algorithm: Type.String({ description: 'ed25519 or rsa-2048', examples: ['ed25519'] }),
    publicKeyPem: Type.String({
      description: 'The public key (SPKI, PEM)',
      examples: [
        '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n',
      ],
    }),
    publicKeyXml: Nullable(Type.String(), { description: 'rsa-2048: the key as .NET `<RSAKeyValue>` XML' }),
    createdAt: CreatedAt,
  },
  { title: 'SigningKey', description: 'A public key the server signs with.' },
);

const NextCursor = Nullable(Type.String(), {
  description: 'Pass as `after` for the next page; null on the last page',
  examples: [EXAMPLE.cursor],
});

/** Every list answer: a page of items and the cursor of the next (`Page<T>` in the generated client types). */
export const listOf = <T extends TSchema>(item: T) =>
  Type.Object(
    { data: Type.Array(item), nextCursor: NextCursor },
    { title: 'Page', description: 'A page of the list, oldest or newest first as the operation says.' },
  );

/** GET /v1/licenses: a page, and with `withTotal` how many licenses match in all. */
export const LicenseList = Type.Object(
  {
    data: Type.Array(License),
    nextCursor: NextCursor,
    total: Type.Optional(
      Type.Integer({
        description:
          'With withTotal: how many licenses match, at most 10,000 (see isTotalExact). Left out for a token ' +
          'whose product or license lock hides some of them.',
      }),
    ),
    isTotalExact: Type.Optional(
      Type.Boolean({ description: 'false when more than `total` licenses match: counting stopped there' }),
    ),
  },
  { title: 'LicenseList', description: 'A page of licenses, with their total count when asked.' },
);
