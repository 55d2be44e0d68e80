import { type TSchema, Type } from 'typebox';
import { FEATURE_NAME_PATTERN, MAX_FEATURE_NAME_LENGTH } from '../../core/feature-name.js';
import { EXPIRATION_BASES, FEATURE_TYPES, PLATFORMS } from '../../core/model.js';
import { SCOPES } from '../../core/scopes.js';
import { VALIDATION_CODES } from '../../core/validation-codes.js';

/** Request and response shapes of the native API; they drive validation, serialization and /openapi.json. */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const literalUnion = <const T extends string[]>(values: readonly [...T]) => Type.Enum(values);

export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
export const IdParams = Type.Object({ id: Id });
export const Timestamp = Type.String({ format: 'date-time' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const ShortText = Type.String({ maxLength: 200 });
const LongText = Type.String({ maxLength: 10_000 });
const Seconds = Type.Integer({ minimum: 1, maximum: 100 * 365 * 86_400 });
const Fingerprint = Type.String({ minLength: 1, maxLength: 1024 });
const FeatureValue = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()]);

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  after: Type.Optional(Type.String({ maxLength: 40 })),
};

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    requestId: Type.String(),
  }),
});

export const Product = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  code: Nullable(Type.String()),
  createdAt: Timestamp,
});
export const ProductCreate = Type.Object(
  { name: Name, code: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))) },
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
    type: literalUnion(FEATURE_TYPES),
    isRequired: Type.Optional(Type.Boolean({ default: false })),
    defaultValue: Type.Optional(Nullable(FeatureValue)),
  },
  { additionalProperties: false },
);

const policyFields = {
  name: Name,
  maxMachines: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  maxDeactivations: Type.Integer({ minimum: -1, maximum: 1_000_000_000 }),
  isFloating: Type.Boolean(),
  leaseSeconds: Type.Integer({ minimum: 30, maximum: 30 * 86_400 }),
  maxOverdraft: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  allowVm: Type.Boolean(),
  durationSeconds: Nullable(Seconds),
  expirationBasis: literalUnion(EXPIRATION_BASES),
  activationValiditySeconds: Nullable(Seconds),
  isTrial: Type.Boolean(),
  allowLicenseAuth: Type.Boolean(),
  keyFormat: Type.String({ minLength: 16, maxLength: 100, pattern: '^[A-Z0-9X-]+$' }),
  featureFields: Type.Array(FeatureField, { maxItems: 100 }),
};
export const Policy = Type.Object({
  id: Type.Integer(),
  productId: Type.Integer(),
  ...policyFields,
  featureFields: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      isRequired: Type.Boolean(),
      defaultValue: Nullable(FeatureValue),
    }),
  ),
  createdAt: Timestamp,
});
export const PolicyCreate = Type.Object(
  { productId: Id, ...Type.Partial(Type.Object(policyFields)).properties, name: Name },
  { additionalProperties: false },
);
export const PolicyUpdate = Type.Partial(Type.Object(policyFields), { additionalProperties: false });

export const Customer = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  email: Nullable(Type.String()),
  company: Nullable(Type.String()),
  createdAt: Timestamp,
});
const Email = Type.String({ format: 'email', maxLength: 320 });
export const CustomerCreate = Type.Object(
  { name: Name, email: Type.Optional(Nullable(Email)), company: Type.Optional(Nullable(ShortText)) },
  { additionalProperties: false },
);
export const CustomerUpdate = Type.Partial(CustomerCreate, { additionalProperties: false });

const NamedUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200 }),
    platform: Type.Optional(literalUnion(PLATFORMS)),
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

const licenseFields = {
  productIds: Type.Array(Id, { maxItems: 100, description: 'Products unlocked besides the policy’s own' }),
  customerId: Nullable(Id),
  email: Nullable(Email),
  notes: Nullable(LongText),
  alias: Nullable(ShortText),
  expiresAt: Nullable(Timestamp),
  overrides: Overrides,
  isCleanable: Type.Boolean(),
  features: Type.Record(Type.String({ maxLength: 100 }), Nullable(FeatureValue)),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 }),
  allowedMachines: Type.Array(Fingerprint, { maxItems: 1000 }),
  namedUsers: Type.Array(NamedUser, { maxItems: 1000 }),
};
export const LicenseCreate = Type.Object(
  {
    policyId: Id,
    key: Type.Optional(Type.String({ minLength: 8, maxLength: 200, pattern: '^[\\x21-\\x7E]+$' })),
    isSuspended: Type.Optional(Type.Boolean()),
    ...Type.Partial(Type.Object(licenseFields)).properties,
  },
  { additionalProperties: false },
);
export const LicenseBatchCreate = Type.Object(
  {
    policyId: Id,
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    licenses: Type.Optional(
      Type.Array(Type.Omit(LicenseCreate, ['policyId'], { additionalProperties: false }), {
        minItems: 1,
        maxItems: 1000,
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
    productId: Type.Optional(Id),
    policyId: Type.Optional(Id),
    customerId: Type.Optional(Id),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    tag: Type.Optional(Type.String({ maxLength: 100 })),
    key: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          'Keys containing this text anywhere, ignoring case, dashes and spaces (`dz45r` finds JNQN5-DZ45R-…); ' +
          'one or two characters match the beginning of keys',
      }),
    ),
    status: Type.Optional(literalUnion(['active', 'suspended', 'revoked', 'expired'])),
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
  { seconds: Type.Optional(Seconds), expiresAt: Type.Optional(Timestamp) },
  { additionalProperties: false },
);

export const License = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  policyId: Type.Integer(),
  productIds: Type.Array(Type.Integer()),
  customerId: Nullable(Type.Integer()),
  email: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  alias: Nullable(Type.String()),
  status: literalUnion(['active', 'suspended', 'revoked', 'expired']),
  expiresAt: Nullable(Timestamp),
  firstActivatedAt: Nullable(Timestamp),
  isSuspended: Type.Boolean(),
  revokedAt: Nullable(Timestamp),
  overrides: Type.Object({
    maxMachines: Nullable(Type.Integer()),
    maxDeactivations: Nullable(Type.Integer()),
    isFloating: Nullable(Type.Boolean()),
    leaseSeconds: Nullable(Type.Integer()),
    maxOverdraft: Nullable(Type.Integer()),
    allowVm: Nullable(Type.Boolean()),
  }),
  isCleanable: Type.Boolean(),
  activationCount: Type.Integer(),
  deactivationCount: Type.Integer(),
  resetCount: Type.Integer(),
  features: Type.Record(Type.String(), FeatureValue),
  tags: Type.Array(Type.String()),
  allowedMachines: Type.Array(Type.String()),
  namedUsers: Type.Array(Type.Object({ username: Type.String(), platform: Type.String() })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastValidatedAt: Nullable(Timestamp),
});

export const Machine = Type.Object({
  id: Type.Integer(),
  licenseId: Type.Integer(),
  fingerprint: Type.String(),
  name: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  platform: Nullable(Type.String()),
  isVm: Type.Boolean(),
  username: Nullable(Type.String()),
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  leaseExpiresAt: Nullable(Timestamp),
  isOverdraft: Type.Boolean(),
  expiresAt: Nullable(Timestamp),
  deactivatedAt: Nullable(Timestamp),
});
export const ActivateBody = Type.Object(
  {
    licenseId: Type.Optional(Id),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    fingerprint: Fingerprint,
    name: Type.Optional(Nullable(ShortText)),
    platform: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    isVm: Type.Optional(Type.Boolean()),
    username: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    userPlatform: Type.Optional(literalUnion(PLATFORMS)),
    productId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export const MachineListQuery = Type.Object(
  { ...PageQuery, licenseId: Type.Optional(Id), includeDeactivated: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const HeartbeatBody = Type.Object(
  { leaseSeconds: Type.Optional(policyFields.leaseSeconds) },
  { additionalProperties: false },
);

export const ValidateBody = Type.Object(
  {
    fingerprint: Type.Optional(Fingerprint),
    productId: Type.Optional(Id),
    features: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 })),
    nonce: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
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
  { key: Type.String({ minLength: 1, maxLength: 200 }), ...ValidateBody.properties },
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
  { description: 'The request this answer is about, exactly as received (null: not given).' },
);
export const ValidationResult = Type.Object({
  valid: Type.Boolean(),
  code: literalUnion(Object.keys(VALIDATION_CODES)),
  detail: Type.String(),
  nonce: Nullable(Type.String()),
  ts: Timestamp,
  request: AnsweredRequest,
  license: Nullable(License),
  machine: Nullable(Machine),
});

export const DataObject = Type.Object({
  id: Type.Integer(),
  ownerType: Type.String(),
  ownerId: Type.Integer(),
  name: Type.String(),
  intValue: Type.Integer(),
  stringValue: Type.String(),
});
const SafeInt = Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
export const DataObjectCreate = Type.Object(
  {
    ownerType: literalUnion(['license', 'machine', 'product']),
    ownerId: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    intValue: Type.Optional(SafeInt),
    stringValue: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false },
);
export const DataObjectUpdate = Type.Partial(Type.Omit(DataObjectCreate, ['ownerType', 'ownerId']), {
  additionalProperties: false,
});
export const DataObjectListQuery = Type.Object(
  { ownerType: literalUnion(['license', 'machine', 'product']), ownerId: Id },
  { additionalProperties: false },
);
export const DataObjectAdd = Type.Object(
  {
    by: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 })),
    bound: Type.Optional(Nullable(SafeInt)),
  },
  { additionalProperties: false },
);

export const Event = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  licenseId: Nullable(Type.Integer()),
  productId: Nullable(Type.Integer()),
  machineId: Nullable(Type.Integer()),
  tokenId: Nullable(Type.Integer()),
  code: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Timestamp,
});
export const EventListQuery = Type.Object(
  {
    ...PageQuery,
    type: Type.Optional(Type.String({ maxLength: 100 })),
    licenseId: Type.Optional(Id),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'The license with this key: exact, or the one key equal to it ignoring case, dashes and spaces; a key the caller may not reach answers as an unknown one (404). Not with licenseId',
      }),
    ),
    productId: Type.Optional(Id),
    machineId: Type.Optional(Id),
    since: Type.Optional(Timestamp),
    until: Type.Optional(Timestamp),
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

export const Token = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  productIds: Type.Array(Type.Integer()),
  licenseId: Nullable(Type.Integer()),
  ipAllowlist: Type.Array(Type.String()),
  bindToFirstIp: Type.Boolean(),
  boundIp: Nullable(Type.String()),
  source: Type.String(),
  expiresAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
  createdAt: Timestamp,
  ...tokenDialectLocks,
  ...tokenLimitFields,
  activationsGranted: Type.Optional(Type.Integer({ description: 'Seats granted against the allowance' })),
});
export const TokenCreate = Type.Object(
  {
    name: Name,
    scopes: Type.Array(literalUnion(SCOPES), { minItems: 1, maxItems: SCOPES.length }),
    productIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
    licenseId: Type.Optional(Nullable(Id)),
    ipAllowlist: Type.Optional(Type.Array(Type.String({ minLength: 2, maxLength: 50 }), { maxItems: 100 })),
    bindToFirstIp: Type.Optional(Type.Boolean()),
    expiresAt: Type.Optional(Nullable(Timestamp)),
    ...tokenDialectLocks,
    ...tokenLimitFields,
  },
  { additionalProperties: false },
);
export const TokenListQuery = Type.Object(
  { includeRevoked: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const SigningKey = Type.Object({
  id: Type.Integer(),
  algorithm: Type.String(),
  publicKeyPem: Type.String(),
  publicKeyXml: Nullable(Type.String()),
  createdAt: Timestamp,
});

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) });

/** GET /v1/licenses: a page, and with `withTotal` how many licenses match in all. */
export const LicenseList = Type.Object({
  data: Type.Array(License),
  nextCursor: Nullable(Type.String()),
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
});
