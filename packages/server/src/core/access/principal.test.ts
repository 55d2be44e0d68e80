import { describe, expect, it } from 'vitest';
import { aLicense, aToken, LICENSE_ID, PRODUCT_ID } from '../../test-support/domain-fixtures.js';
import { DomainError } from '../domain-error.js';
import {
  assertLicenseAccess,
  assertMayIssueLicenses,
  assertMayReachCustomers,
  assertNotLicenseLocked,
  assertProductAccess,
  assertReach,
  assertScope,
  assertUnrestricted,
  canAccessLicense,
  canAccessProduct,
  operatorPrincipal,
  type Principal,
  principalTokenId,
} from './principal.js';
import type { Scope } from './scopes.js';
import type { ApiTokenRecord } from './token-ports.js';

const OTHER_PRODUCT = 8;
const OTHER_LICENSE = 202;

const token = (overrides: Partial<ApiTokenRecord> = {}): Principal => ({
  kind: 'token',
  token: aToken(overrides),
});
const licenseCredential = (productIds = [PRODUCT_ID]): Principal => ({
  kind: 'license',
  license: aLicense({ id: LICENSE_ID, productIds }),
});

const unlocked = token();
const productLocked = token({ productIds: [PRODUCT_ID] });
const licenseLocked = token({ licenseId: LICENSE_ID });

/** 'ok', or the code and message of the refusal. */
function check(run: () => void): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

describe('assertScope', () => {
  const rows: [string, Principal, Scope, string][] = [
    ['* grants a read scope', unlocked, 'licenses:read', 'ok'],
    ['* grants a write scope', unlocked, 'tokens:write', 'ok'],
    ['the exact scope', token({ scopes: ['licenses:read'] }), 'licenses:read', 'ok'],
    [
      'a write scope when only read is granted',
      token({ scopes: ['licenses:read'] }),
      'licenses:write',
      'FORBIDDEN: this token lacks the scope licenses:write',
    ],
    [
      'read when only write is granted',
      token({ scopes: ['licenses:write'] }),
      'licenses:read',
      'FORBIDDEN: this token lacks the scope licenses:read',
    ],
    [
      'no scopes at all',
      token({ scopes: [] }),
      'products:read',
      'FORBIDDEN: this token lacks the scope products:read',
    ],
    ['a dormant token reads', token({ isDormant: true }), 'licenses:read', 'ok'],
    ['a dormant token validates', token({ isDormant: true }), 'licenses:validate', 'ok'],
    [
      'a dormant token may not write',
      token({ isDormant: true }),
      'licenses:write',
      'FORBIDDEN: this token is dormant: it may read but not change anything',
    ],
    [
      'a dormant token without the scope is refused for the scope first',
      token({ isDormant: true, scopes: ['licenses:read'] }),
      'machines:write',
      'FORBIDDEN: this token lacks the scope machines:write',
    ],
    // A license key holds what an app does with its own license, whatever route or method it reaches.
    ['a license credential validates', licenseCredential(), 'licenses:validate', 'ok'],
    ['a license credential takes a seat', licenseCredential(), 'machines:write', 'ok'],
    ['a license credential reads its seats', licenseCredential(), 'machines:read', 'ok'],
    [
      'a license credential does not change licenses',
      licenseCredential(),
      'licenses:write',
      'FORBIDDEN: a license key credential lacks the scope licenses:write',
    ],
    [
      'a license credential does not read customers',
      licenseCredential(),
      'customers:read',
      'FORBIDDEN: a license key credential lacks the scope customers:read',
    ],
    ['the operator holds everything', operatorPrincipal, 'tokens:write', 'ok'],
  ];

  it.each(rows)('%s', (_name, principal, scope, expected) => {
    expect(check(() => assertScope(principal, scope))).toBe(expected);
  });

  it('refuses a caller without credential every scope', () => {
    expect(check(() => assertScope(null, 'licenses:validate'))).toBe(
      'FORBIDDEN: this needs a credential holding the scope licenses:validate',
    );
  });

  it('names the missing scope and the dormant reason in the details', () => {
    const details = (principal: Principal, scope: Scope) => {
      try {
        assertScope(principal, scope);
      } catch (error) {
        if (error instanceof DomainError) return error.details;
      }
      return null;
    };
    expect(details(token({ scopes: [] }), 'events:read')).toEqual({ scope: 'events:read' });
    expect(details(token({ isDormant: true }), 'products:write')).toEqual({ reason: 'TOKEN_DORMANT' });
  });
});

describe('license access', () => {
  const ours = { id: LICENSE_ID, productIds: [PRODUCT_ID] };
  const rows: [string, Principal, { id: number; productIds: number[] }, boolean][] = [
    ['an unlocked token, any license', unlocked, { id: OTHER_LICENSE, productIds: [OTHER_PRODUCT] }, true],
    ['a product-locked token, a license of its product', productLocked, ours, true],
    [
      'a product-locked token, a license of another product',
      productLocked,
      { id: OTHER_LICENSE, productIds: [OTHER_PRODUCT] },
      false,
    ],
    [
      'a product-locked token, a multi-product license that includes its product',
      productLocked,
      { id: OTHER_LICENSE, productIds: [OTHER_PRODUCT, PRODUCT_ID] },
      true,
    ],
    [
      'a token locked to two products, a license of the second',
      token({ productIds: [PRODUCT_ID, OTHER_PRODUCT] }),
      { id: OTHER_LICENSE, productIds: [OTHER_PRODUCT] },
      true,
    ],
    ['a license-locked token, its license', licenseLocked, ours, true],
    [
      'a license-locked token, another license',
      licenseLocked,
      { id: OTHER_LICENSE, productIds: [PRODUCT_ID] },
      false,
    ],
    [
      'a token locked to a license and to another product',
      token({ licenseId: LICENSE_ID, productIds: [OTHER_PRODUCT] }),
      ours,
      false,
    ],
    ['a license credential, its own license', licenseCredential(), ours, true],
    [
      'a license credential, another license',
      licenseCredential(),
      { id: OTHER_LICENSE, productIds: [PRODUCT_ID] },
      false,
    ],
  ];

  it.each(rows)('%s → %s', (_name, principal, license, expected) => {
    expect(canAccessLicense(principal, license)).toBe(expected);
    expect(check(() => assertLicenseAccess(principal, license))).toBe(
      expected ? 'ok' : 'LICENSE_NOT_FOUND: no such license is visible to this credential',
    );
  });
});

describe('product access', () => {
  const rows: [string, Principal, number, boolean][] = [
    ['an unlocked token', unlocked, OTHER_PRODUCT, true],
    ['a product-locked token, its product', productLocked, PRODUCT_ID, true],
    ['a product-locked token, another product', productLocked, OTHER_PRODUCT, false],
    // A license-locked token reaches what its license's key reaches (read when the token authenticates).
    [
      'a license-locked token, a product of its license',
      token({ licenseId: LICENSE_ID, licenseProductIds: [OTHER_PRODUCT] }),
      OTHER_PRODUCT,
      true,
    ],
    ['a license-locked token, a product its license lacks', licenseLocked, OTHER_PRODUCT, false],
    [
      'a license credential, a product its key unlocks',
      licenseCredential([PRODUCT_ID, OTHER_PRODUCT]),
      OTHER_PRODUCT,
      true,
    ],
    ['a license credential, a product its key does not unlock', licenseCredential(), OTHER_PRODUCT, false],
  ];

  it.each(rows)('%s → %s', (_name, principal, productId, expected) => {
    expect(canAccessProduct(principal, productId)).toBe(expected);
    expect(check(() => assertProductAccess(principal, productId))).toBe(
      expected ? 'ok' : `NOT_FOUND: product ${productId} does not exist`,
    );
  });
});

describe('assertNotLicenseLocked and assertUnrestricted', () => {
  const LICENSE_LOCKED = 'FORBIDDEN: this credential is locked to one license';
  const rows: [string, Principal, string, string][] = [
    ['an unlocked token', unlocked, 'ok', 'ok'],
    ['the operator', operatorPrincipal, 'ok', 'ok'],
    ['a product-locked token', productLocked, 'ok', 'FORBIDDEN: this token is locked to products'],
    ['a license-locked token', licenseLocked, LICENSE_LOCKED, LICENSE_LOCKED],
    ['a license credential', licenseCredential(), LICENSE_LOCKED, LICENSE_LOCKED],
  ];

  it.each(rows)('%s', (_name, principal, notLicenseLocked, unrestricted) => {
    expect([
      check(() => assertNotLicenseLocked(principal)),
      check(() => assertUnrestricted(principal)),
    ]).toEqual([notLicenseLocked, unrestricted]);
  });
});

describe('assertReach', () => {
  const ofLicense = { licenseId: LICENSE_ID, productIds: [PRODUCT_ID] };
  const ofProduct = { licenseId: null, productIds: [PRODUCT_ID] };
  const rows: [string, Principal, { licenseId: number | null; productIds: number[] }, string][] = [
    ["an unlocked token, a license's object", unlocked, ofLicense, 'ok'],
    ["an unlocked token, a product's object", unlocked, ofProduct, 'ok'],
    ["a license-locked token, its license's object", licenseLocked, ofLicense, 'ok'],
    [
      "a license-locked token, another license's object",
      licenseLocked,
      { licenseId: OTHER_LICENSE, productIds: [PRODUCT_ID] },
      'LICENSE_NOT_FOUND: no such license is visible to this credential',
    ],
    [
      "a license-locked token, a product's object",
      licenseLocked,
      ofProduct,
      'FORBIDDEN: this credential is locked to one license',
    ],
    ["a product-locked token, its product's object", productLocked, ofProduct, 'ok'],
    ["a product-locked token, a license of its product's object", productLocked, ofLicense, 'ok'],
    [
      "a product-locked token, another product's object",
      productLocked,
      { licenseId: null, productIds: [OTHER_PRODUCT] },
      `NOT_FOUND: product ${OTHER_PRODUCT} does not exist`,
    ],
    [
      'a product-locked token, an object reaching its product and another',
      productLocked,
      { licenseId: null, productIds: [PRODUCT_ID, OTHER_PRODUCT] },
      `NOT_FOUND: product ${OTHER_PRODUCT} does not exist`,
    ],
    ["a license credential, its own license's object", licenseCredential(), ofLicense, 'ok'],
    [
      "a license credential, its product's object",
      licenseCredential(),
      ofProduct,
      'FORBIDDEN: this credential is locked to one license',
    ],
  ];

  it.each(rows)('%s', (_name, principal, reach, expected) => {
    expect(check(() => assertReach(principal, reach))).toBe(expected);
  });
});

describe('principalTokenId and the operator', () => {
  it('gives the token id, or null for a license credential or nobody', () => {
    expect([
      principalTokenId(token({ id: 42 })),
      principalTokenId(licenseCredential()),
      principalTokenId(null),
    ]).toEqual([42, null, null]);
  });

  it('makes the operator an unlocked token with every scope', () => {
    expect(operatorPrincipal).toMatchObject({
      kind: 'token',
      token: {
        id: 0,
        scopes: ['*'],
        productIds: [],
        licenseId: null,
        ipAllowlist: [],
        revokedAt: null,
        expiresAt: null,
      },
    });
    expect(check(() => assertScope(operatorPrincipal, 'tokens:write'))).toBe('ok');
  });
});

describe('issuing licenses and reaching customers', () => {
  const rows: [string, Principal | null, string, string][] = [
    ['an unlocked token', unlocked, 'ok', 'ok'],
    ['a product-locked token, its product', productLocked, 'ok', 'FORBIDDEN'],
    ['a license-locked token (auth/KeyLock)', licenseLocked, 'FORBIDDEN', 'FORBIDDEN'],
    ['a license credential', licenseCredential(), 'FORBIDDEN', 'FORBIDDEN'],
    ['no credential', null, 'FORBIDDEN', 'FORBIDDEN'],
  ];

  it.each(rows)('%s', (_name, principal, issue, customers) => {
    const code = (work: () => void) => check(work).split(':')[0];
    expect([
      code(() => assertMayIssueLicenses(principal, [PRODUCT_ID])),
      code(() => assertMayReachCustomers(principal)),
    ]).toEqual([issue, customers]);
  });
});
