import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aToken } from '../../test-support/domain-fixtures.js';
import { rowCounts } from '../../test-support/row-counts.js';
import { createTestStore, type TestDialect, testDialects } from '../../test-support/test-store.js';
import { manualClock } from '../clock.js';
import { isDomainError } from '../domain-error.js';
import { createKeyward, type Keyward } from '../keyward.js';
import type { License } from '../model.js';
import { SecretBox } from '../signing/secrets.js';
import type { Actor } from './actor.js';
import { operatorPrincipal, type Principal } from './principal.js';
import { LICENSE_KEY_SCOPES, SCOPES, type Scope } from './scopes.js';

/**
 * The scope of record: every use case in core asks its caller for the scope it needs, whatever surface (or
 * none) the call came through. Each row calls one use case on real targets as a credential holding every
 * scope but that one; core must refuse it naming the scope, and write nothing. The last check finds use cases
 * that take a caller but have no row here.
 */

interface Fixture {
  productId: number;
  policyId: number;
  license: License;
  machineId: number;
  customerId: number;
  dataObjectId: number;
  messageId: number;
  tokenId: number;
  webhookId: number;
  paymentConnectionId: number;
  resellerId: number;
  templateId: number;
  featureFieldId: number;
  extensionId: number;
}

interface Row {
  /** `service.method`, as on the Keyward object. */
  useCase: string;
  scope: Scope;
  /** Calls the use case as `caller` (through `actor.principal` where it takes an actor). */
  run(k: Keyward, actor: Actor, caller: Principal, fx: Fixture): Promise<unknown>;
}

const key = (fx: Fixture) => fx.license.key;
/** Runs an async generator use case to its end: it asks its scope when the first item is asked for. */
async function drain(items: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of items);
}
/** The store of the running suite, for the one use case that runs inside a caller's transaction. */
let currentStore: Awaited<ReturnType<typeof createTestStore>>;
const later = (k: Keyward) => new Date(k.clock.now().getTime() + 86_400_000);

const ROWS: Row[] = [
  // licenses
  {
    useCase: 'licenses.create',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.create(a, fx.policyId, {}),
  },
  {
    useCase: 'licenses.createMany',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.createMany(a, fx.policyId, [{}, {}]),
  },
  {
    useCase: 'licenses.update',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.update(a, fx.license.id, { notes: 'x' }),
  },
  {
    useCase: 'licenses.suspend',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.suspend(a, fx.license.id),
  },
  {
    useCase: 'licenses.reinstate',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.reinstate(a, fx.license.id),
  },
  {
    useCase: 'licenses.revoke',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.revoke(a, fx.license.id),
  },
  {
    useCase: 'licenses.extend',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.extend(a, fx.license.id, { seconds: 60 }),
  },
  {
    useCase: 'licenses.reset',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.reset(a, fx.license.id),
  },
  {
    useCase: 'licenses.delete',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.delete(a, fx.license.id),
  },
  {
    useCase: 'licenses.view',
    scope: 'licenses:read',
    run: (k, _, p, fx) => k.licenses.view(p, fx.license.id),
  },
  {
    useCase: 'licenses.viewByKey',
    scope: 'licenses:read',
    run: (k, _, p, fx) => k.licenses.viewByKey(p, key(fx)),
  },
  {
    useCase: 'licenses.read',
    scope: 'licenses:read',
    run: (k, _, p, fx) => k.licenses.read(p, String(fx.license.id)),
  },
  {
    useCase: 'licenses.listReachable',
    scope: 'licenses:read',
    run: (k, _, p) => k.licenses.listReachable(p, {}, { after: null, limit: 10 }),
  },
  { useCase: 'licenses.count', scope: 'licenses:read', run: (k, _, p) => k.licenses.count(p, {}, 10) },
  {
    useCase: 'licenses.viewsOf',
    scope: 'licenses:read',
    run: (k, _, p, fx) => k.licenses.viewsOf(p, [fx.license]),
  },
  {
    useCase: 'licenses.eachState',
    scope: 'licenses:read',
    run: (k, _, p) => drain(k.licenses.eachState(p, {})),
  },
  {
    useCase: 'licenseSearch.search',
    scope: 'licenses:read',
    run: (k, _, p) => k.licenseSearch.search(p, {}, { offset: 0, limit: 10 }),
  },
  {
    useCase: 'licenses.setTrialActivation',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenses.setTrialActivation(a, fx.license.id, true),
  },
  {
    useCase: 'licenseTags.removeEverywhere',
    scope: 'licenses:write',
    run: (k, a) => k.licenseTags.removeEverywhere(a, 'tagged'),
  },
  {
    useCase: 'keyIssuing.issue',
    scope: 'licenses:write',
    run: (k, a, _, fx) =>
      k.keyIssuing.issue(a, {
        kind: 'single-activation',
        productIds: [fx.productId],
        count: 1,
        validity: { count: 7, unit: 'day' },
        alias: null,
        isCleanable: false,
      }),
  },
  {
    useCase: 'keyIssuing.policyFor',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.keyIssuing.policyFor(a, fx.productId, 'multi-activation'),
  },
  {
    useCase: 'standardPolicies.policyFor',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.standardPolicies.policyFor(a, fx.productId, 'trial'),
  },
  {
    useCase: 'trials.trialFor',
    scope: 'licenses:write',
    run: (k, a, _, fx) =>
      k.trials.trialFor(a, { productId: fx.productId, fingerprint: 'trial-pc', durationSeconds: 60 }),
  },
  {
    useCase: 'licenseTemplates.createLicense',
    scope: 'licenses:write',
    run: (k, a, _, fx) => k.licenseTemplates.createLicense(a, fx.templateId),
  },
  // validation and license files
  {
    useCase: 'validation.validateKey',
    scope: 'licenses:validate',
    run: (k, a, p, fx) => k.validation.validateKey(p, a, key(fx), {}),
  },
  {
    useCase: 'validation.validateLicense',
    scope: 'licenses:validate',
    run: (k, a, _, fx) => k.validation.validateLicense(a, fx.license, {}),
  },
  {
    useCase: 'validation.validateView',
    scope: 'licenses:validate',
    run: async (k, a, _, fx) =>
      k.validation.validateView(a, await k.licenses.viewOf(operatorPrincipal, fx.license), {}),
  },
  {
    useCase: 'licenseFiles.checkOut',
    scope: 'licenses:validate',
    run: (k, a, _, fx) => k.licenseFiles.checkOut(a, fx.license, { callerKind: 'token' }),
  },
  // machines
  {
    useCase: 'machines.activate',
    scope: 'machines:write',
    run: (k, a, _, fx) => k.machines.activate(a, fx.license.id, { fingerprint: 'new-pc' }),
  },
  {
    useCase: 'machines.activateSeat',
    scope: 'machines:write',
    run: (k, a, _, fx) => k.machines.activateSeat(a, fx.license.id, { fingerprint: 'new-pc' }),
  },
  {
    useCase: 'machines.heartbeat',
    scope: 'machines:write',
    run: (k, a, _, fx) => k.machines.heartbeat(a, fx.machineId),
  },
  {
    useCase: 'machines.deactivate',
    scope: 'machines:write',
    run: (k, a, _, fx) => k.machines.deactivate(a, fx.machineId),
  },
  {
    useCase: 'machines.deactivateFingerprint',
    scope: 'machines:write',
    run: (k, a, _, fx) =>
      k.machines.deactivateFingerprint(a, fx.license.id, 'fixture-pc', {
        pool: 'node-locked',
        refuseWhenBlocked: false,
        allowMissing: false,
      }),
  },
  {
    useCase: 'machines.list',
    scope: 'machines:read',
    run: (k, _, p, fx) =>
      k.machines.list(p, { licenseId: fx.license.id, includeDeactivated: true, after: null, limit: 10 }),
  },
  {
    useCase: 'machines.read',
    scope: 'machines:read',
    run: (k, _, p, fx) => k.machines.read(p, fx.machineId),
  },
  {
    useCase: 'machines.history',
    scope: 'machines:read',
    run: (k, _, p, fx) => k.machines.history(p, fx.license.id),
  },
  {
    useCase: 'offline.activate',
    scope: 'machines:write',
    run: (k, a, _, fx) =>
      k.offline.activate(a, fx.license, {
        type: 'activation',
        key: key(fx),
        fingerprint: 'air-gapped',
        requestedAt: k.clock.now(),
        nonce: 'n',
      }),
  },
  {
    useCase: 'offline.deactivate',
    scope: 'machines:write',
    run: (k, a, _, fx) =>
      k.offline.deactivate(a, fx.license, {
        type: 'deactivation',
        key: key(fx),
        machineId: fx.machineId,
        fingerprint: 'fixture-pc',
        requestedAt: k.clock.now(),
        nonce: 'n',
      }),
  },
  {
    useCase: 'offline.startVerifiedTrial',
    scope: 'machines:write',
    run: (k, a, _, fx) =>
      k.offline.startVerifiedTrial(a, {
        type: 'verified-trial',
        policyId: fx.policyId,
        fingerprint: 'trial-pc',
        requestedAt: k.clock.now(),
        nonce: 'n',
      }),
  },
  {
    useCase: 'verifiedTrials.start',
    scope: 'machines:write',
    run: (k, a, _, fx) => k.verifiedTrials.start(a, fx.policyId, { fingerprint: 'trial-pc' }),
  },
  {
    useCase: 'verifiedTrials.redeemExtension',
    scope: 'machines:write',
    run: (k, a, _, fx) =>
      k.verifiedTrials.redeemExtension(a, { policyId: fx.policyId, fingerprint: 'trial-pc', code: 'code' }),
  },
  // products, policies and what hangs on them
  {
    useCase: 'catalog.listReachableProducts',
    scope: 'products:read',
    run: (k, _, p) => k.catalog.listReachableProducts(p, { after: null, limit: 10 }),
  },
  {
    useCase: 'catalog.readProduct',
    scope: 'products:read',
    run: (k, _, p, fx) => k.catalog.readProduct(p, fx.productId),
  },
  {
    useCase: 'catalog.productPage',
    scope: 'products:read',
    run: (k, _, p) => k.catalog.productPage(p, { after: null, limit: 10 }),
  },
  {
    useCase: 'catalog.readPolicy',
    scope: 'policies:read',
    run: (k, _, p, fx) => k.catalog.readPolicy(p, fx.policyId),
  },
  {
    useCase: 'catalog.policyPage',
    scope: 'policies:read',
    run: (k, _, p) => k.catalog.policyPage(p, { productId: null, after: null, limit: 10 }),
  },
  {
    useCase: 'catalog.eachProduct',
    scope: 'products:read',
    run: (k, _, p) => drain(k.catalog.eachProduct(p)),
  },
  {
    useCase: 'catalog.reachablePolicyIds',
    scope: 'policies:read',
    run: (k, _, p) => k.catalog.reachablePolicyIds(p),
  },
  {
    useCase: 'licenseTemplates.listReachable',
    scope: 'policies:read',
    run: (k, _, p) => k.licenseTemplates.listReachable(p, { policyId: null, after: null, limit: 10 }),
  },
  {
    useCase: 'verifiedTrials.setProfile',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.verifiedTrials.setProfile(a, fx.policyId, { trialSeconds: 60 }),
  },
  {
    useCase: 'verifiedTrials.createExtension',
    scope: 'policies:write',
    run: (k, a, _, fx) =>
      k.verifiedTrials.createExtension(a, {
        policyId: fx.policyId,
        isOnline: true,
        isForVerifiedTrials: false,
        lengthSeconds: 60,
        redeemableUntil: later(k),
        customerRef: null,
        maxUses: 1,
      }),
  },
  {
    useCase: 'verifiedTrials.searchTrials',
    scope: 'policies:read',
    run: (k, _, p, fx) =>
      k.verifiedTrials.searchTrials(p, { policyIds: [fx.policyId] }, { offset: 0, limit: 10 }),
  },
  {
    useCase: 'verifiedTrials.readExtension',
    scope: 'policies:read',
    run: (k, _, p, fx) => k.verifiedTrials.readExtension(p, fx.extensionId),
  },
  {
    useCase: 'verifiedTrials.readExtensionByCode',
    scope: 'policies:read',
    run: async (k, _, p, fx) => {
      const extension = await k.verifiedTrials.findExtension(operatorPrincipal, fx.extensionId);
      return k.verifiedTrials.readExtensionByCode(p, fx.policyId, extension?.code ?? '');
    },
  },
  {
    useCase: 'verifiedTrials.listExtensions',
    scope: 'policies:read',
    run: (k, _, p, fx) => k.verifiedTrials.listExtensions(p, fx.policyId),
  },
  {
    useCase: 'verifiedTrials.deleteExtension',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.verifiedTrials.deleteExtension(a, fx.extensionId),
  },
  {
    useCase: 'catalog.createProduct',
    scope: 'products:write',
    run: (k, a) => k.catalog.createProduct(a, { name: 'refused' }),
  },
  {
    useCase: 'catalog.updateProduct',
    scope: 'products:write',
    run: (k, a, _, fx) => k.catalog.updateProduct(a, fx.productId, { name: 'refused' }),
  },
  {
    useCase: 'catalog.deleteProduct',
    scope: 'products:write',
    run: (k, a, _, fx) => k.catalog.deleteProduct(a, fx.productId),
  },
  {
    useCase: 'catalog.createPolicy',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.catalog.createPolicy(a, { productId: fx.productId, name: 'refused' }),
  },
  {
    useCase: 'catalog.updatePolicy',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.catalog.updatePolicy(a, fx.policyId, { maxMachines: 9 }),
  },
  {
    useCase: 'catalog.deletePolicy',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.catalog.deletePolicy(a, fx.policyId),
  },
  {
    useCase: 'productSetup.createProduct',
    scope: 'products:write',
    run: (k, a) => k.productSetup.createProduct(a, { name: 'refused', policy: { name: 'v1' }, profile: {} }),
  },
  {
    // It writes a policy too: lacking policies:write is refused as well.
    useCase: 'productSetup.createProduct',
    scope: 'policies:write',
    run: (k, a) => k.productSetup.createProduct(a, { name: 'refused', policy: { name: 'v1' }, profile: {} }),
  },
  {
    useCase: 'productSetup.createPolicy',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.productSetup.createPolicy(a, fx.productId, { name: 'v2' }, {}),
  },
  {
    useCase: 'productSetup.updatePolicy',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.productSetup.updatePolicy(a, fx.policyId, { maxMachines: 9 }, {}),
  },
  {
    useCase: 'featureFields.list',
    scope: 'policies:read',
    run: (k, _, p, fx) => k.featureFields.list(p, fx.policyId),
  },
  {
    useCase: 'featureFields.add',
    scope: 'policies:write',
    run: (k, a, _, fx) =>
      k.featureFields.add(a, fx.policyId, { name: 'refused', type: 'boolean', isRequired: false }),
  },
  {
    useCase: 'featureFields.edit',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.featureFields.edit(a, fx.featureFieldId, { description: 'refused' }),
  },
  {
    useCase: 'featureFields.delete',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.featureFields.delete(a, fx.featureFieldId),
  },
  {
    useCase: 'licenseTemplates.create',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.licenseTemplates.create(a, { name: 'refused', policyId: fx.policyId }),
  },
  {
    useCase: 'licenseTemplates.update',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.licenseTemplates.update(a, fx.templateId, { notes: 'refused' }),
  },
  {
    useCase: 'licenseTemplates.view',
    scope: 'policies:read',
    run: (k, _, p, fx) => k.licenseTemplates.view(p, fx.templateId),
  },
  {
    useCase: 'licenseTemplates.delete',
    scope: 'policies:write',
    run: (k, a, _, fx) => k.licenseTemplates.delete(a, fx.templateId),
  },
  // customers and resellers
  {
    useCase: 'customers.create',
    scope: 'customers:write',
    run: (k, a) => k.customers.create(a, { name: 'refused' }),
  },
  {
    useCase: 'customers.update',
    scope: 'customers:write',
    run: (k, a, _, fx) => k.customers.update(a, fx.customerId, { company: 'refused' }),
  },
  {
    useCase: 'customers.delete',
    scope: 'customers:write',
    run: (k, a, _, fx) => k.customers.delete(a, fx.customerId),
  },
  {
    useCase: 'customers.issueSecret',
    scope: 'customers:write',
    run: (k, a, _, fx) => k.customers.issueSecret(a, fx.customerId),
  },
  {
    useCase: 'customers.assignToNewLicenses',
    scope: 'customers:write',
    run: (k, a, _, fx) =>
      currentStore.transaction((tx) =>
        k.customers.assignToNewLicenses(tx, a, k.clock.now(), [fx.license], {
          name: 'new',
          reuseByEmail: false,
        }),
      ),
  },
  {
    useCase: 'customers.get',
    scope: 'customers:read',
    run: (k, _, p, fx) => k.customers.get(p, fx.customerId),
  },
  {
    useCase: 'customers.list',
    scope: 'customers:read',
    run: (k, _, p) => k.customers.list(p, { email: null, after: null, limit: 10 }),
  },
  {
    useCase: 'customers.getBySecret',
    scope: 'customers:read',
    run: (k, _, p) => k.customers.getBySecret(p, 'secret'),
  },
  {
    useCase: 'customers.find',
    scope: 'customers:read',
    run: (k, _, p, fx) => k.customers.find(p, fx.customerId),
  },
  {
    useCase: 'resellers.create',
    scope: 'customers:write',
    run: (k, a) => k.resellers.create(a, { name: 'refused' }),
  },
  {
    useCase: 'resellers.update',
    scope: 'customers:write',
    run: (k, a, _, fx) => k.resellers.update(a, fx.resellerId, { name: 'refused' }),
  },
  {
    useCase: 'resellers.delete',
    scope: 'customers:write',
    run: (k, a, _, fx) => k.resellers.delete(a, fx.resellerId),
  },
  // data objects
  {
    useCase: 'dataObjects.create',
    scope: 'data-objects:write',
    run: (k, a, _, fx) =>
      k.dataObjects.create(a, {
        ownerType: 'license',
        ownerId: fx.license.id,
        name: 'refused',
        intValue: 0,
        stringValue: '',
      }),
  },
  {
    useCase: 'dataObjects.update',
    scope: 'data-objects:write',
    run: (k, a, _, fx) => k.dataObjects.update(a, fx.dataObjectId, { intValue: 9 }),
  },
  {
    useCase: 'dataObjects.add',
    scope: 'data-objects:write',
    run: (k, a, _, fx) => k.dataObjects.add(a, fx.dataObjectId, 1, { min: null, max: null }),
  },
  {
    useCase: 'dataObjects.delete',
    scope: 'data-objects:write',
    run: (k, a, _, fx) => k.dataObjects.delete(a, fx.dataObjectId),
  },
  // messages
  {
    useCase: 'messages.create',
    scope: 'messages:write',
    run: (k, a) => k.messages.create(a, { channel: 'stable', content: 'refused' }),
  },
  {
    useCase: 'messages.delete',
    scope: 'messages:write',
    run: (k, a, _, fx) => k.messages.delete(a, fx.messageId),
  },
  {
    useCase: 'messages.list',
    scope: 'messages:read',
    run: (k, _, p) => k.messages.list(p, { channel: null, after: null, limit: 10 }),
  },
  // the event log
  {
    useCase: 'events.list',
    scope: 'events:read',
    run: (k, _, p, fx) => k.events.list(p, { licenseId: fx.license.id }, { before: null, limit: 10 }),
  },
  {
    useCase: 'events.aboutLicenses',
    scope: 'events:read',
    run: async (k, _, p, fx) =>
      k.events.aboutLicenses(
        p,
        await k.events.list(operatorPrincipal, { licenseId: fx.license.id }, { before: null, limit: 10 }),
      ),
  },
  // tokens
  {
    useCase: 'tokens.create',
    scope: 'tokens:write',
    run: (k, a, p) => k.tokens.create(a, p, { name: 'refused', scopes: ['licenses:read'] }),
  },
  { useCase: 'tokens.revoke', scope: 'tokens:write', run: (k, a, _, fx) => k.tokens.revoke(a, fx.tokenId) },
  { useCase: 'tokens.list', scope: 'tokens:read', run: (k, _, p) => k.tokens.list(p, true) },
  {
    useCase: 'tokenLimits.update',
    scope: 'tokens:write',
    run: (k, a, p, fx) => k.tokenLimits.update(a, p, fx.tokenId, { maxClientAddresses: 2 }),
  },
  {
    useCase: 'tokenLimits.resetClientAddresses',
    scope: 'tokens:write',
    run: (k, a, p, fx) => k.tokenLimits.resetClientAddresses(a, p, fx.tokenId),
  },
  // payments
  {
    useCase: 'paymentConnections.create',
    scope: 'payments:write',
    run: (k, a) =>
      k.paymentConnections.create(a, {
        provider: 'stripe',
        name: 'refused',
        webhookSecret: 'whsec_refused_123',
      }),
  },
  {
    useCase: 'paymentConnections.update',
    scope: 'payments:write',
    run: (k, a, _, fx) => k.paymentConnections.update(a, fx.paymentConnectionId, { name: 'refused' }),
  },
  {
    useCase: 'paymentConnections.delete',
    scope: 'payments:write',
    run: (k, a, _, fx) => k.paymentConnections.delete(a, fx.paymentConnectionId),
  },
  {
    useCase: 'paymentConnections.list',
    scope: 'payments:read',
    run: (k, _, p) => k.paymentConnections.list(p, { after: null, limit: 10 }),
  },
  {
    useCase: 'paymentConnections.read',
    scope: 'payments:read',
    run: (k, _, p, fx) => k.paymentConnections.read(p, fx.paymentConnectionId),
  },
  {
    useCase: 'paymentConnections.listEvents',
    scope: 'payments:read',
    run: (k, _, p, fx) =>
      k.paymentConnections.listEvents(p, fx.paymentConnectionId, { before: null, limit: 10 }),
  },
  {
    useCase: 'paymentConnections.readEvent',
    scope: 'payments:read',
    run: (k, _, p, fx) => k.paymentConnections.readEvent(p, fx.paymentConnectionId, 1),
  },
  // webhooks
  {
    useCase: 'webhooks.create',
    scope: 'webhooks:write',
    run: (k, a) => k.webhooks.create(a, { url: 'https://example.com/hook', eventTypes: ['*'] }),
  },
  {
    useCase: 'webhooks.update',
    scope: 'webhooks:write',
    run: (k, a, _, fx) => k.webhooks.update(a, fx.webhookId, { description: 'refused' }),
  },
  {
    useCase: 'webhooks.rotateSecret',
    scope: 'webhooks:write',
    run: (k, a, _, fx) => k.webhooks.rotateSecret(a, fx.webhookId),
  },
  {
    useCase: 'webhooks.delete',
    scope: 'webhooks:write',
    run: (k, a, _, fx) => k.webhooks.delete(a, fx.webhookId),
  },
  {
    useCase: 'webhooks.sendTest',
    scope: 'webhooks:write',
    run: (k, a, _, fx) => k.webhooks.sendTest(a, fx.webhookId),
  },
  { useCase: 'webhooks.redeliver', scope: 'webhooks:write', run: (k, a) => k.webhooks.redeliver(a, 1) },
  // email
  { useCase: 'email.getSettings', scope: 'email:read', run: (k, a) => k.email.getSettings(a) },
  {
    useCase: 'email.saveSettings',
    scope: 'email:write',
    run: (k, a) =>
      k.email.saveSettings(a, {
        host: 'smtp.example.com',
        port: 587,
        security: 'starttls',
        fromName: 'Refused',
        fromAddress: 'refused@example.com',
      }),
  },
  { useCase: 'email.listTemplates', scope: 'email:read', run: (k, a) => k.email.listTemplates(a, null) },
  {
    useCase: 'email.getTemplate',
    scope: 'email:read',
    run: (k, a, _, fx) => k.email.getTemplate(a, 'license_delivered', fx.productId),
  },
  {
    useCase: 'email.saveTemplate',
    scope: 'email:write',
    run: (k, a, _, fx) =>
      k.email.saveTemplate(a, 'license_delivered', fx.productId, {
        subject: 'refused',
        textBody: 'refused',
        htmlBody: 'refused',
      }),
  },
  {
    useCase: 'email.resetTemplate',
    scope: 'email:write',
    run: (k, a, _, fx) => k.email.resetTemplate(a, 'license_delivered', fx.productId),
  },
  {
    useCase: 'email.listMessages',
    scope: 'email:read',
    run: (k, a) => k.email.listMessages(a, { status: null, licenseId: null, before: null, limit: 10 }),
  },
  { useCase: 'email.getMessage', scope: 'email:read', run: (k, a) => k.email.getMessage(a, 1) },
  { useCase: 'email.retryMessage', scope: 'email:write', run: (k, a) => k.email.retryMessage(a, 1) },
  {
    useCase: 'email.sendTest',
    scope: 'email:write',
    run: (k, a) => k.email.sendTest(a, { to: 'refused@example.com' }),
  },
  // analytics
  {
    useCase: 'analytics.register',
    scope: 'analytics:write',
    run: (k, a, _, fx) =>
      k.analytics.register(a, {
        productId: fx.productId,
        key: null,
        machineCode: null,
        featureName: 'export',
        eventName: null,
        value: 1,
        currency: null,
        metadata: null,
      }),
  },
  {
    useCase: 'analytics.list',
    scope: 'analytics:read',
    run: (k, _, p) => k.analytics.list(p, { limit: 10 }),
  },
  // the customer portal's settings
  { useCase: 'portalSettings.get', scope: 'portal:read', run: (k, a) => k.portalSettings.get(a) },
  {
    useCase: 'portalSettings.update',
    scope: 'portal:write',
    run: (k, a) => k.portalSettings.update(a, { displayName: 'Changed' }),
  },
];

/**
 * Use cases that take a caller but ask no scope, and why. Everything else that takes an actor, a principal,
 * a creator or a caller must have a row above.
 */
const WITHOUT_SCOPE: Record<string, string> = {
  'licenseTokens.issue': 'what lets a token issue license tokens is its canIssueLicenseTokens',
  'dashboardAuth.createUser': 'dashboard users need an administrator (`*`), asserted by assertAdministrator',
  'dashboardAuth.setPassword': 'as createUser',
  'dashboardAuth.updateUser': 'as createUser',
  'dashboardAuth.listUsers': 'as createUser',
  'dashboardAuth.deleteUser': 'as createUser',
  'dashboardAuth.ensureFirstAdmin': 'start-up: the server makes the first admin for the operator',
  'licenseCleanup.sweep': "the server's own periodic work, as the system actor",
  'machines.activateOptimistically': 'a private step of activateSeat, which asked machines:write before it',
  'validation.decide': 'a private step of validateKey and validateLicense, which asked licenses:validate',
  'validation.record': 'private: every validation ends in it, queueing its outcome',
  'leaseSweep.sweep': "the server's own periodic work, as the system actor",
  'expiryNotices.sweep': "the server's own periodic work, as the system actor",
  'imports.upsertProduct': "an import's own writes: its runner acts as the operator (importActor)",
  'imports.upsertPolicy': "an import's own writes: its runner acts as the operator (importActor)",
  'imports.upsertCustomer': "an import's own writes: its runner acts as the operator (importActor)",
  'imports.upsertLicense': "an import's own writes: its runner acts as the operator (importActor)",
  'licenses.findByKeyFor': 'a lookup other use cases make (events by key): theirs is the scope asked',
  'dataObjects.reachFor': 'a lookup the data-object use cases make, reading or writing: theirs is the scope',
  'dataObjects.assertOwnerReach': 'as reachFor: the owner a data-object read or change names',
  'dataObjects.find': 'as reachFor: the object a data-object change names',
  // Lookups: what a caller's locks reach, a thing out of reach answered as a missing one. Changes,
  // validations and reads start with them, so they ask no scope of their own: a change or a validation asks
  // its scope in the use case that follows, and a surface asks a read's before the lookup runs.
  'licenses.find': 'a lookup: the native validation by id (validateLicense), and licenses.read',
  'licenses.findByKey':
    'a lookup: AuthTool changes by key, LimeLM activations and reads by key, licenses.read',
  'licenses.getByExactKey':
    'a lookup: Cryptolens methods on a key (changes, Activate, data objects, KeyLock)',
  'licenses.findView': 'a lookup: LimeLM changes and reads of a key by pkey_id',
  'licenses.findViewByKey': 'a lookup: Cryptolens GetKey (validateView) and data objects of a machine',
  'licenses.viewOf': 'the view of a license a use case just read or wrote (Cryptolens Activate, GetKeys)',
  'licenses.relationsOf': 'what a Cryptolens license object shows with the view (GetKey, Activate, GetKeys)',
  'machines.find':
    'a lookup: the machine a LimeLM activity event names (events.list asks events:read), a native heartbeat or deactivation names, and machines.read',
  'machines.findActivation': 'a lookup: the activation LimeLM pkey.deactivate gives back',
  'catalog.findProduct': 'a lookup: LimeLM changes of a product and its versions, its key and trial searches',
  'catalog.findPolicy': 'a lookup: LimeLM changes and reads of keys, versions, features and trials',
  'catalog.findProductOrDeny':
    'a lookup: every Cryptolens method naming a ProductId, GetKey and Activate too',
  'licenseTemplates.find': 'a lookup: the template Cryptolens CreateKeyFromTemplate creates a license from',
  'verifiedTrials.findExtension': 'a lookup: LimeLM changes and reads of a trial extension',
  'resellers.find': 'a lookup: the reseller Cryptolens CreateKey and ChangeReseller name (licenses:write)',
  'customers.exists':
    'tells only whether a customer exists, which the changes naming one (EditCustomer, ChangeCustomer) tell',
  // Private steps of the use cases above: TypeScript's `private` is not visible at run time.
  'licenses.change': 'private: suspend, reinstate, revoke, extend, reset and update run it',
  'tokenLimits.changeable': 'private: tokenLimits.update and resetClientAddresses run it',
  'analytics.namedLicense': 'private: analytics.register and list run it',
  'analytics.reachableProduct': 'private: analytics.register and list run it',
  'machines.lock': 'private: activation and heartbeat run it',
  'machines.freeSeat': 'private: every deactivation runs it',
  'licenses.reachableView': 'private: the lookups findView and findViewByKey run it',
  'licenses.reachableViews': 'private: viewsOf, and the lookups findView and viewOf, run it',
  'catalog.reachablePolicy': 'private: catalog.readPolicy, updatePolicy and deletePolicy run it',
  'productSetup.insertPolicy': 'private: productSetup.createProduct and createPolicy run it',
  'expiryNotices.notify': 'private: expiryNotices.sweep runs it',
  'email.allow': 'private: every email use case runs it first',
};

/** Every `service.method` of the Keyward object with a parameter naming who calls. */
function useCasesTakingACaller(k: Keyward): string[] {
  const found: string[] = [];
  for (const [name, service] of Object.entries(k)) {
    if (service === null || typeof service !== 'object') continue;
    const prototype = Object.getPrototypeOf(service);
    if (prototype === Object.prototype) continue;
    for (const method of Object.getOwnPropertyNames(prototype)) {
      const fn = prototype[method];
      if (method === 'constructor' || typeof fn !== 'function') continue;
      // Async generators (`async *eachState(`) are use cases too.
      const parameters = /^(?:async\s*)?(?:\*\s*)?[\w$]+\s*\(([^)]*)\)/.exec(fn.toString())?.[1] ?? '';
      if (/\b(actor|principal|creator|caller)\b/.test(parameters)) found.push(`${name}.${method}`);
    }
  }
  return found.sort();
}

const tokenLacking = (scope: Scope): Principal => ({
  kind: 'token',
  token: aToken({ scopes: SCOPES.filter((s) => s !== '*' && s !== scope) }),
});

const actorOf = (principal: Principal): Actor => ({ tokenId: null, ip: null, via: 'test', principal });

async function fixture(k: Keyward): Promise<Fixture> {
  const operator = actorOf(operatorPrincipal);
  const product = await k.catalog.createProduct(operator, { name: 'Scoped' });
  const policy = await k.catalog.createPolicy(operator, {
    productId: product.id,
    name: 'Scoped',
    maxMachines: 5,
  });
  const license = await k.licenses.create(operator, policy.id, { tags: ['tagged'] });
  const { machine } = await k.machines.activate(operator, license.id, { fingerprint: 'fixture-pc' });
  const customer = await k.customers.create(operator, { name: 'Scoped customer' });
  const dataObject = await k.dataObjects.create(operator, {
    ownerType: 'license',
    ownerId: license.id,
    name: 'counter',
    intValue: 0,
    stringValue: '',
  });
  const message = await k.messages.create(operator, { channel: 'stable', content: 'hello' });
  const { token } = await k.tokens.create(operator, operatorPrincipal, {
    name: 'target',
    scopes: ['licenses:read'],
  });
  const { endpoint } = await k.webhooks.create(operator, {
    url: 'https://example.com/hook',
    eventTypes: ['*'],
  });
  const paymentConnection = await k.paymentConnections.create(operator, {
    provider: 'stripe',
    name: 'Scoped shop',
    webhookSecret: 'whsec_scoped_123',
    mappings: [{ providerItemId: 'price_scoped', policyId: policy.id, seatsPerUnit: 1 }],
  });
  const reseller = await k.resellers.create(operator, { name: 'Scoped reseller' });
  const template = await k.licenseTemplates.create(operator, {
    name: 'Scoped template',
    policyId: policy.id,
  });
  const { details } = await k.featureFields.add(operator, policy.id, {
    name: 'scoped',
    type: 'boolean',
    isRequired: false,
  });
  const extension = await k.verifiedTrials.createExtension(operator, {
    policyId: policy.id,
    isOnline: true,
    isForVerifiedTrials: false,
    lengthSeconds: 60,
    redeemableUntil: later(k),
    customerRef: null,
    maxUses: 1,
  });
  return {
    productId: product.id,
    policyId: policy.id,
    license: await k.licenses.get(license.id),
    machineId: machine.id,
    customerId: customer.id,
    dataObjectId: dataObject.id,
    messageId: message.id,
    tokenId: token.id,
    webhookId: endpoint.id,
    paymentConnectionId: paymentConnection.id,
    resellerId: reseller.id,
    templateId: template.id,
    featureFieldId: details.id,
    extensionId: extension.id,
  };
}

/** The refusal a call ended in: `FORBIDDEN <scope>` when it names a scope, else what happened instead. */
async function refusalOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'allowed';
  } catch (error) {
    if (!isDomainError(error)) throw error;
    return `${error.code} ${String(error.details.scope ?? error.message)}`;
  }
}

describe.each(await testDialects())('the scope of every use case in core (%s)', (dialect: TestDialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  let fx: Fixture;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    currentStore = store;
    k = createKeyward({
      store,
      clock: manualClock(new Date('2030-01-01T00:00:00Z')),
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: (error) => {
        throw error;
      },
    });
    await k.signingKeys.load();
    fx = await fixture(k);
  });
  afterAll(async () => {
    await k.bookkeeping.flush();
    await store.dispose();
  });

  const counted = () => rowCounts(store, () => k.bookkeeping.flush());

  it.each(ROWS)('$useCase refuses a credential without $scope, writing nothing', async (row) => {
    const caller = tokenLacking(row.scope);
    const before = await counted();
    expect(await refusalOf(() => row.run(k, actorOf(caller), caller, fx))).toBe(`FORBIDDEN ${row.scope}`);
    expect(await counted()).toEqual(before);
  });

  const notForLicenseKeys = ROWS.filter((row) => !LICENSE_KEY_SCOPES.includes(row.scope));
  it.each(notForLicenseKeys)('$useCase refuses a license key credential ($scope)', async (row) => {
    const caller: Principal = { kind: 'license', license: fx.license };
    const refusal = await refusalOf(() => row.run(k, actorOf(caller), caller, fx));
    // A use case needing several scopes names the first the key lacks.
    const [code, scope] = refusal.split(' ');
    expect(code, refusal).toBe('FORBIDDEN');
    expect(SCOPES.filter((s) => !LICENSE_KEY_SCOPES.includes(s))).toContain(scope);
  });

  it('has a row (or a reason to ask no scope) for every use case that takes a caller', () => {
    const covered = new Set([...ROWS.map((row) => row.useCase), ...Object.keys(WITHOUT_SCOPE)]);
    expect(useCasesTakingACaller(k).filter((useCase) => !covered.has(useCase))).toEqual([]);
    // And no row names a use case that no longer takes a caller.
    expect([...covered].filter((useCase) => !useCasesTakingACaller(k).includes(useCase))).toEqual([]);
  });
});
