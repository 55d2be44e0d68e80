import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import { SCOPES, type Scope } from '../core/access/scopes.js';
import type { TokenInput } from '../core/access/token-grant.js';
import { SURFACES, type SurfaceName } from './access-surfaces.js';
import { FLAG_FIELDS } from './cryptolens-calls.js';
import { rowCounts } from './row-counts.js';
import { createTestApp, type TestApp } from './test-app.js';
import type { TestDialect } from './test-store.js';

/**
 * One lock × scope matrix for every surface. An operation (read a license, suspend it, activate …) lists how
 * each surface offers it; every credential variant below runs through every one of them, and the surfaces
 * must agree: a token holding exactly the needed scopes is allowed everywhere; one lacking one of them, or
 * method-locked to another method, is refused everywhere; one locked to another product or license answers
 * exactly as for a target that does not exist. No refusal writes anything. A new surface or operation is one
 * more entry in `calls` or in the operation table.
 */

/** What an operation acts on; missing targets name ids and keys that do not exist. */
export interface Target {
  productId: number;
  policyId: number;
  licenseId: number;
  key: string;
  machineId: number;
  fingerprint: string;
  customerId: number;
  tokenId: number;
  /** Unique per call, for names and fingerprints that must not repeat. */
  unique: string;
}

/** Ids of the fixture: every target sits under `productId`; locked tokens point at `otherProductId`. */
export interface MatrixFixture {
  productId: number;
  policyId: number;
  otherProductId: number;
  otherLicenseId: number;
  customerId: number;
  /** A license of `productId` that reads do not change. */
  licenseId: number;
  key: string;
}

export interface MatrixContext {
  t: TestApp;
  fx: MatrixFixture;
  /** A license of `productId`, fresh, for calls that change or use up what they act on. */
  freshLicense(): Promise<{ licenseId: number; key: string }>;
  /** A machine holding a seat on a fresh license. */
  freshMachine(): Promise<{ licenseId: number; key: string; machineId: number; fingerprint: string }>;
  /** A token with no more power than the token managers of the matrix (they hold tokens:write). */
  freshToken(): Promise<number>;
  unique(): string;
}

export interface SurfaceCall {
  surface: SurfaceName;
  /** Every scope the call needs; a token lacking any one of them must be refused. */
  scopes: Scope[];
  /** The operation in the method-lock vocabulary (`key/activate`, `pkey/getdetails`), or null: none. */
  method: string | null;
  send(t: TestApp, secret: string, target: Target): Promise<LightMyRequestResponse>;
}

export interface Operation {
  name: string;
  /** The target of one call: the fixture's own, or a fresh one for calls that change it. */
  target(ctx: MatrixContext): Promise<Partial<Target>>;
  /** The same target, not existing; absent when the operation names nothing that could be missing. */
  missing?(ctx: MatrixContext): Partial<Target>;
  calls: SurfaceCall[];
}

/** An id and a key no fixture uses. */
export const MISSING_ID = 987_654_321;
export const MISSING_KEY = 'NOPE0-NOPE0-NOPE0-NOPE0';

const testActor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
let counter = 0;
const unique = () => `${Date.now().toString(36)}-${(counter++).toString(36)}`;

async function createMatrixContext(t: TestApp): Promise<MatrixContext> {
  const k = t.keyward;
  const product = await k.catalog.createProduct(testActor, { name: 'Matrix product' });
  const other = await k.catalog.createProduct(testActor, { name: 'Other product' });
  // Flag features make the Cryptolens feature methods usable; seats enough for every activation of a run.
  const policy = await k.catalog.createPolicy(testActor, {
    productId: product.id,
    name: 'Matrix policy',
    maxMachines: 1000,
    featureFields: FLAG_FIELDS,
  });
  const otherPolicy = await k.catalog.createPolicy(testActor, { productId: other.id, name: 'Other' });
  const license = await k.licenses.create(testActor, policy.id, {});
  const otherLicense = await k.licenses.create(testActor, otherPolicy.id, {});
  const customer = await k.customers.create(testActor, { name: 'Matrix customer' });
  const freshLicense = async () => {
    const created = await k.licenses.create(testActor, policy.id, {});
    return { licenseId: created.id, key: created.key };
  };
  return {
    t,
    unique,
    fx: {
      productId: product.id,
      policyId: policy.id,
      otherProductId: other.id,
      otherLicenseId: otherLicense.id,
      customerId: customer.id,
      licenseId: license.id,
      key: license.key,
    },
    freshLicense,
    freshMachine: async () => {
      const fresh = await freshLicense();
      const fingerprint = `matrix-${unique()}`;
      const { machine } = await k.machines.activate(testActor, fresh.licenseId, { fingerprint });
      return { ...fresh, machineId: machine.id, fingerprint };
    },
    freshToken: async () =>
      (
        await k.tokens.create(testActor, operatorPrincipal, {
          name: `t-${unique()}`,
          scopes: ['tokens:write'],
        })
      ).token.id,
  };
}

/** The credential variants every call runs with, each a token issued by the operator. */
type Variant = 'scoped' | 'product-locked' | 'license-locked' | 'method-locked';

/** A method lock naming some operation other than the call's own. */
const otherMethod = (method: string | null) => (method === 'key/getkey' ? 'key/activate' : 'key/getkey');

function tokenInput(ctx: MatrixContext, call: SurfaceCall, variant: Variant): Omit<TokenInput, 'name'> {
  const scopes = [...call.scopes];
  switch (variant) {
    case 'scoped':
      return { scopes };
    case 'product-locked':
      return { scopes, productIds: [ctx.fx.otherProductId] };
    case 'license-locked':
      return { scopes, licenseId: ctx.fx.otherLicenseId };
    case 'method-locked':
      return { scopes, methodLock: [otherMethod(call.method)] };
  }
}

/** Every scope but `lacking` (and but `*`): a token that lacks exactly that one. */
const scopesBut = (lacking: Scope): Scope[] => SCOPES.filter((s) => s !== '*' && s !== lacking);

async function issue(ctx: MatrixContext, input: Omit<TokenInput, 'name'>): Promise<string> {
  const { secret } = await ctx.t.keyward.tokens.create(testActor, operatorPrincipal, {
    name: `matrix-${ctx.unique()}`,
    ...input,
  });
  return secret;
}

const countRows = (t: TestApp) => rowCounts(t.store, () => t.keyward.bookkeeping.flush());

/** Which tables a call changed, as `licenses +1`; empty when it wrote nothing. */
function written(before: Record<string, number>, after: Record<string, number>): string {
  return Object.entries(after)
    .filter(([table, n]) => n !== before[table])
    .map(([table, n]) => `${table} ${n > (before[table] ?? 0) ? '+' : ''}${n - (before[table] ?? 0)}`)
    .join(', ');
}

/** One call as the matrix observes it: the verdict, what it taught the caller, and what it wrote. */
async function observe(ctx: MatrixContext, call: SurfaceCall, secret: string, target: Partial<Target>) {
  const before = await countRows(ctx.t);
  const answer = await call.send(ctx.t, secret, { unique: ctx.unique(), ...target } as Target);
  const reading = SURFACES[call.surface].read(answer);
  return { ...reading, wrote: written(before, await countRows(ctx.t)), body: answer.body };
}

/** A refusal's observation: `refused`, or what went wrong with it (allowed, or it wrote something). */
function refusal(observed: { verdict: string; wrote: string; body: string }): string {
  if (observed.verdict === 'allowed') return `allowed: ${observed.body.slice(0, 200)}`;
  return observed.wrote === '' ? 'refused' : `refused, but wrote ${observed.wrote}`;
}

/** Runs the matrix of every operation on one database, over an app of its own. */
export function describeAccessMatrix(operations: readonly Operation[], dialect: TestDialect): void {
  describe(`access matrix (${dialect})`, () => {
    let ctx: MatrixContext;
    beforeAll(async () => {
      ctx = await createMatrixContext(await createTestApp(dialect));
    });
    afterAll(() => ctx?.t.dispose());

    /** Runs `observe` for every call and compares the table of observations with what each must be. */
    const agree = async (
      op: Operation,
      run: (call: SurfaceCall) => Promise<Array<[string, string]>>,
      expected: (call: SurfaceCall) => Array<[string, string]>,
    ) => {
      const observed: Record<string, string> = {};
      const wanted: Record<string, string> = {};
      for (const call of op.calls) {
        for (const [name, value] of await run(call)) observed[name] = value;
        for (const [name, value] of expected(call)) wanted[name] = value;
      }
      expect(observed, `${op.name}: every surface must agree`).toEqual(wanted);
    };

    for (const op of operations) {
      describe(op.name, () => {
        it('allows a token holding exactly the needed scopes on every surface', () =>
          agree(
            op,
            async (call) => {
              const secret = await issue(ctx, tokenInput(ctx, call, 'scoped'));
              const observed = await observe(ctx, call, secret, await op.target(ctx));
              const result =
                observed.verdict === 'allowed' ? 'allowed' : `${observed.verdict}: ${observed.body}`;
              return [[call.surface, result]];
            },
            (call) => [[call.surface, 'allowed']],
          ));

        it('refuses a token lacking exactly one needed scope on every surface, writing nothing', () =>
          agree(
            op,
            async (call) => {
              const rows: Array<[string, string]> = [];
              for (const lacking of call.scopes) {
                const secret = await issue(ctx, { scopes: scopesBut(lacking) });
                rows.push([
                  `${call.surface} without ${lacking}`,
                  refusal(await observe(ctx, call, secret, await op.target(ctx))),
                ]);
              }
              return rows;
            },
            (call) => call.scopes.map((lacking) => [`${call.surface} without ${lacking}`, 'refused']),
          ));

        for (const variant of ['product-locked', 'license-locked'] as const) {
          it(`answers a token ${variant} elsewhere as for a missing target on every surface, writing nothing`, () =>
            agree(
              op,
              async (call) => {
                const secret = await issue(ctx, tokenInput(ctx, call, variant));
                const observed = await observe(ctx, call, secret, await op.target(ctx));
                let result = refusal(observed);
                if (result === 'refused' && op.missing) {
                  const missing = await observe(ctx, call, secret, op.missing(ctx));
                  if (missing.learned !== observed.learned)
                    result = `refused, but not as for a missing target: "${observed.learned}" vs "${missing.learned}"`;
                }
                return [[call.surface, result]];
              },
              (call) => [[call.surface, 'refused']],
            ));
        }

        it('refuses a token method-locked to another method on every surface, writing nothing', () =>
          agree(
            op,
            async (call) => {
              const secret = await issue(ctx, tokenInput(ctx, call, 'method-locked'));
              return [[call.surface, refusal(await observe(ctx, call, secret, await op.target(ctx)))]];
            },
            (call) => [[call.surface, 'refused']],
          ));
      });
    }
  });
}
