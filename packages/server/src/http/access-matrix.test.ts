import { encodeOfflineRequest } from '../core/signing/offline-exchange.js';
import {
  describeAccessMatrix,
  MISSING_ID,
  MISSING_KEY,
  type Operation,
  type SurfaceCall,
} from '../test-support/access-matrix.js';
import { sendAuthTool, sendCryptolens, sendLimeLm, sendNative } from '../test-support/access-surfaces.js';

/**
 * The operations every surface offers, each with how every surface calls it; access-matrix.ts runs each
 * through every credential variant and checks that the surfaces agree.
 */

const native = (call: Omit<SurfaceCall, 'surface'>): SurfaceCall => ({ surface: 'native', ...call });
const cryptolens = (call: Omit<SurfaceCall, 'surface'>): SurfaceCall => ({ surface: 'cryptolens', ...call });
const limelm = (call: Omit<SurfaceCall, 'surface'>): SurfaceCall => ({ surface: 'limelm', ...call });
const authtool = (call: Omit<SurfaceCall, 'surface'>): SurfaceCall => ({ surface: 'authtool', ...call });

/** A license of the fixture's product that does not exist; its product does. */
const missingLicense = (productId: number) => ({ productId, licenseId: MISSING_ID, key: MISSING_KEY });

const OPERATIONS: Operation[] = [
  {
    name: 'read a license',
    target: async ({ fx }) => ({ productId: fx.productId, licenseId: fx.licenseId, key: fx.key }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['licenses:read'],
        method: 'key/getkey',
        send: (t, secret, { key }) => sendNative(t, secret, 'GET', `/v1/licenses/${encodeURIComponent(key)}`),
      }),
      cryptolens({
        scopes: ['licenses:validate'],
        method: 'key/getkey',
        send: (t, secret, { productId, key }) =>
          sendCryptolens(t, secret, 'key/GetKey', { ProductId: productId, Key: key }),
      }),
      limelm({
        scopes: ['licenses:read'],
        method: 'pkey/getdetails',
        send: (t, secret, { licenseId }) =>
          sendLimeLm(t, secret, 'limelm.pkey.getDetails', { pkey_id: licenseId }),
      }),
      authtool({
        scopes: ['licenses:read', 'machines:read'],
        method: null,
        send: (t, secret, { key }) =>
          sendAuthTool(t, secret, 'GET', `/key/${encodeURIComponent(key)}/detail`),
      }),
    ],
  },
  {
    name: 'suspend a license',
    target: async (ctx) => ({ productId: ctx.fx.productId, ...(await ctx.freshLicense()) }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['licenses:write'],
        method: null,
        send: (t, secret, { licenseId }) =>
          sendNative(t, secret, 'POST', `/v1/licenses/${licenseId}/actions/suspend`),
      }),
      cryptolens({
        scopes: ['licenses:write'],
        method: 'key/blockkey',
        send: (t, secret, { productId, key }) =>
          sendCryptolens(t, secret, 'key/BlockKey', { ProductId: productId, Key: key }),
      }),
      limelm({
        scopes: ['licenses:write'],
        method: 'pkey/revoke',
        send: (t, secret, { licenseId }) =>
          sendLimeLm(t, secret, 'limelm.pkey.revoke', { pkey_id: licenseId }),
      }),
      authtool({
        scopes: ['licenses:write'],
        method: null,
        send: (t, secret, { key }) =>
          sendAuthTool(t, secret, 'PATCH', `/key/${encodeURIComponent(key)}/change-status`, { status: 0 }),
      }),
    ],
  },
  {
    name: 'extend a license',
    target: async (ctx) => ({ productId: ctx.fx.productId, ...(await ctx.freshLicense()) }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['licenses:write'],
        method: null,
        send: (t, secret, { licenseId }) =>
          sendNative(t, secret, 'POST', `/v1/licenses/${licenseId}/actions/extend`, { seconds: 86_400 }),
      }),
      cryptolens({
        scopes: ['licenses:write'],
        method: 'key/extendlicense',
        send: (t, secret, { productId, key }) =>
          sendCryptolens(t, secret, 'key/ExtendLicense', { ProductId: productId, Key: key, NoOfDays: 1 }),
      }),
    ],
  },
  {
    // The native PATCH leaves every lock check to core: this row fails if core stops deciding.
    name: 'change a license',
    target: async (ctx) => ({ productId: ctx.fx.productId, ...(await ctx.freshLicense()) }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['licenses:write'],
        method: null,
        send: (t, secret, { licenseId }) =>
          sendNative(t, secret, 'PATCH', `/v1/licenses/${licenseId}`, { notes: 'changed' }),
      }),
      cryptolens({
        scopes: ['licenses:write'],
        method: 'key/changenotes',
        send: (t, secret, { productId, key }) =>
          sendCryptolens(t, secret, 'key/ChangeNotes', { ProductId: productId, Key: key, Notes: 'changed' }),
      }),
      limelm({
        scopes: ['licenses:write'],
        method: 'pkey/setdetails',
        send: (t, secret, { licenseId }) =>
          sendLimeLm(t, secret, 'limelm.pkey.setDetails', {
            pkey_id: licenseId,
            email: 'changed@example.com',
          }),
      }),
    ],
  },
  {
    name: 'create keys',
    target: async ({ fx }) => ({ productId: fx.productId, policyId: fx.policyId }),
    missing: () => ({ productId: MISSING_ID, policyId: MISSING_ID }),
    calls: [
      native({
        scopes: ['licenses:write'],
        method: 'key/createkey',
        send: (t, secret, { policyId }) => sendNative(t, secret, 'POST', '/v1/licenses', { policyId }),
      }),
      cryptolens({
        scopes: ['licenses:write'],
        method: 'key/createkey',
        send: (t, secret, { productId }) =>
          sendCryptolens(t, secret, 'key/CreateKey', { ProductId: productId }),
      }),
      limelm({
        scopes: ['licenses:write'],
        method: 'pkey/generate',
        send: (t, secret, { policyId }) =>
          sendLimeLm(t, secret, 'limelm.pkey.generate', { version_id: policyId }),
      }),
      authtool({
        scopes: ['licenses:write'],
        method: null,
        send: (t, secret, { productId }) =>
          sendAuthTool(t, secret, 'POST', '/key/single-activate', {
            packageIds: [productId],
            quantity: 1,
            duration: 30,
            unit: 'day',
          }),
      }),
    ],
  },
  {
    name: 'activate a machine',
    target: async ({ fx }) => ({ productId: fx.productId, licenseId: fx.licenseId, key: fx.key }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['machines:write'],
        method: 'key/activate',
        send: (t, secret, { licenseId, unique }) =>
          sendNative(t, secret, 'POST', '/v1/machines', { licenseId, fingerprint: `native-${unique}` }),
      }),
      cryptolens({
        scopes: ['machines:write'],
        method: 'key/activate',
        send: (t, secret, { productId, key, unique }) =>
          sendCryptolens(t, secret, 'key/Activate', {
            ProductId: productId,
            Key: key,
            MachineCode: `cryptolens-${unique}`,
          }),
      }),
      limelm({
        scopes: ['machines:write'],
        method: 'pkey/manualactivation',
        send: (t, secret, { key, unique }) =>
          sendLimeLm(t, secret, 'limelm.pkey.manualActivation', {
            act_req_xml: encodeOfflineRequest({
              type: 'activation',
              key,
              fingerprint: `limelm-${unique}`,
              requestedAt: t.keyward.clock.now(),
              nonce: `nonce-${unique}`,
            }),
          }),
      }),
    ],
  },
  {
    name: 'deactivate a machine',
    target: async (ctx) => ({ productId: ctx.fx.productId, ...(await ctx.freshMachine()) }),
    missing: ({ fx }) => ({ ...missingLicense(fx.productId), machineId: MISSING_ID, fingerprint: 'missing' }),
    calls: [
      native({
        scopes: ['machines:write'],
        method: 'key/deactivate',
        send: (t, secret, { machineId }) => sendNative(t, secret, 'DELETE', `/v1/machines/${machineId}`),
      }),
      cryptolens({
        scopes: ['machines:write'],
        method: 'key/deactivate',
        send: (t, secret, { productId, key, fingerprint }) =>
          sendCryptolens(t, secret, 'key/Deactivate', {
            ProductId: productId,
            Key: key,
            MachineCode: fingerprint,
          }),
      }),
      limelm({
        scopes: ['machines:write'],
        method: 'pkey/deactivate',
        send: (t, secret, { machineId }) =>
          sendLimeLm(t, secret, 'limelm.pkey.deactivate', { act_id: machineId }),
      }),
    ],
  },
  {
    name: 'list the machines of a license',
    target: async ({ fx }) => ({ productId: fx.productId, licenseId: fx.licenseId, key: fx.key }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['machines:read'],
        method: 'key/getkey',
        send: (t, secret, { licenseId }) =>
          sendNative(t, secret, 'GET', `/v1/machines?licenseId=${licenseId}`),
      }),
      authtool({
        scopes: ['licenses:read', 'machines:read'],
        method: null,
        send: (t, secret, { key }) =>
          sendAuthTool(t, secret, 'GET', `/key/${encodeURIComponent(key)}/detail`),
      }),
    ],
  },
  {
    name: 'read a customer',
    target: async ({ fx }) => ({ customerId: fx.customerId }),
    missing: () => ({ customerId: MISSING_ID }),
    calls: [
      native({
        scopes: ['customers:read'],
        method: null,
        send: (t, secret, { customerId }) => sendNative(t, secret, 'GET', `/v1/customers/${customerId}`),
      }),
      cryptolens({
        scopes: ['customers:read'],
        method: 'customer/getcustomers',
        send: (t, secret, { customerId }) =>
          sendCryptolens(t, secret, 'customer/GetCustomers', { CustomerId: customerId }),
      }),
    ],
  },
  {
    name: 'change a customer',
    target: async ({ fx }) => ({ customerId: fx.customerId }),
    missing: () => ({ customerId: MISSING_ID }),
    calls: [
      native({
        scopes: ['customers:write'],
        method: null,
        send: (t, secret, { customerId }) =>
          sendNative(t, secret, 'PATCH', `/v1/customers/${customerId}`, { company: 'Matrix Ltd' }),
      }),
      cryptolens({
        scopes: ['customers:write'],
        method: 'customer/editcustomer',
        send: (t, secret, { customerId }) =>
          sendCryptolens(t, secret, 'customer/EditCustomer', {
            CustomerId: customerId,
            CompanyName: 'Matrix Ltd',
          }),
      }),
    ],
  },
  {
    name: 'list the data objects of a license',
    target: async ({ fx }) => ({ productId: fx.productId, licenseId: fx.licenseId, key: fx.key }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['data-objects:read'],
        method: null,
        send: (t, secret, { licenseId }) =>
          sendNative(t, secret, 'GET', `/v1/data-objects?ownerType=license&ownerId=${licenseId}`),
      }),
      cryptolens({
        scopes: ['data-objects:read'],
        method: 'data/listdataobjectstokey',
        send: (t, secret, { productId, key }) =>
          sendCryptolens(t, secret, 'data/ListDataObjectsToKey', { ProductId: productId, Key: key }),
      }),
    ],
  },
  {
    name: 'add a data object to a license',
    target: async ({ fx }) => ({ productId: fx.productId, licenseId: fx.licenseId, key: fx.key }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['data-objects:write'],
        method: null,
        send: (t, secret, { licenseId, unique }) =>
          sendNative(t, secret, 'POST', '/v1/data-objects', {
            ownerType: 'license',
            ownerId: licenseId,
            name: `native-${unique}`,
          }),
      }),
      cryptolens({
        scopes: ['data-objects:write'],
        method: 'data/adddataobjecttokey',
        send: (t, secret, { productId, key, unique }) =>
          sendCryptolens(t, secret, 'data/AddDataObjectToKey', {
            ProductId: productId,
            Key: key,
            Name: `cryptolens-${unique}`,
          }),
      }),
    ],
  },
  {
    name: 'read the events of a license',
    target: async ({ fx }) => ({ productId: fx.productId, licenseId: fx.licenseId, key: fx.key }),
    missing: ({ fx }) => missingLicense(fx.productId),
    calls: [
      native({
        scopes: ['events:read'],
        method: null,
        send: (t, secret, { licenseId }) => sendNative(t, secret, 'GET', `/v1/events?licenseId=${licenseId}`),
      }),
      cryptolens({
        scopes: ['events:read'],
        method: 'ai/getwebapilog',
        send: (t, secret, { productId, key }) =>
          sendCryptolens(t, secret, 'ai/GetWebAPILog', { ProductId: productId, Key: key }),
      }),
    ],
  },
  {
    name: 'create a token',
    target: async ({ fx }) => ({ productId: fx.productId, licenseId: fx.licenseId }),
    missing: () => ({ productId: MISSING_ID, licenseId: MISSING_ID }),
    calls: [
      native({
        scopes: ['tokens:write'],
        method: null,
        send: (t, secret, { productId, licenseId, unique }) =>
          sendNative(t, secret, 'POST', '/v1/tokens', {
            name: `made-${unique}`,
            scopes: ['tokens:write'],
            productIds: [productId],
            licenseId,
          }),
      }),
    ],
  },
  {
    name: 'list tokens',
    target: async () => ({}),
    calls: [
      native({
        scopes: ['tokens:read'],
        method: null,
        send: (t, secret) => sendNative(t, secret, 'GET', '/v1/tokens'),
      }),
    ],
  },
  {
    name: 'revoke a token',
    target: async (ctx) => ({ tokenId: await ctx.freshToken() }),
    missing: () => ({ tokenId: MISSING_ID }),
    calls: [
      native({
        scopes: ['tokens:write'],
        method: null,
        send: (t, secret, { tokenId }) => sendNative(t, secret, 'DELETE', `/v1/tokens/${tokenId}`),
      }),
    ],
  },
];

for (const dialect of ['sqlite', 'postgres'] as const) describeAccessMatrix(OPERATIONS, dialect);
