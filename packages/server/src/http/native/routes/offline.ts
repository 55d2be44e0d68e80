import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import { OFFLINE_REQUEST_MAX_LENGTH, OFFLINE_REQUEST_TYPES } from '../../../core/signing/offline-exchange.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { licenseNamedBy } from '../license-named-by.js';
import { errorResponses } from '../openapi/error-responses.js';
import { Id, Timestamp } from '../schemas.js';

const tags = ['offline'];

const CheckOutBody = Type.Object(
  {
    licenseId: Type.Optional(Id),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    fingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    productId: Type.Optional(Id),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 * 365 * 86_400 })),
    encrypt: Type.Optional(Type.Boolean()),
    nonce: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const LicenseFile = Type.Object(
  {
    file: Type.String({ description: 'The signed license file, to store on the machine' }),
    issuedAt: Timestamp,
    expiresAt: Type.String({ format: 'date-time', description: 'Apps refuse the file after this instant' }),
    isEncrypted: Type.Boolean({ description: 'Encrypted to the machine of the fingerprint' }),
  },
  { title: 'LicenseFile', description: 'A signed offline license file.' },
);

// Requests travel by e-mail: line breaks and indentation may be added on the way.
const RespondBody = Type.Object(
  { request: Type.String({ minLength: 1, maxLength: OFFLINE_REQUEST_MAX_LENGTH * 2 }) },
  { additionalProperties: false },
);
const OfflineResponse = Type.Object(
  {
    type: Type.Enum([...OFFLINE_REQUEST_TYPES], { description: 'What the machine asked for' }),
    nonce: Type.String({ description: "The request's nonce" }),
    response: Type.Union([Type.String(), Type.Null()], {
      description: 'The signed response file for the machine; null for a deactivation',
    }),
    machineId: Type.Union([Type.Integer(), Type.Null()], { examples: [12] }),
    trialId: Type.Union([Type.Integer(), Type.Null()]),
  },
  { title: 'OfflineAnswer', description: "The answer to an air-gapped machine's request." },
);

/** Offline licensing on the native API: license files and the air-gapped request/response exchange. */
export function offlineRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/licenses/actions/check-out',
    {
      config: { auth: { scope: 'licenses:validate', license: true, method: 'key/checkout' } },
      schema: {
        tags,
        summary: 'Check out an offline license file',
        description:
          'Checks out a signed offline license file (Ed25519, the key from GET /v1/signing-keys) for a valid ' +
          'license, bound to a machine and optionally encrypted to it. A license with a machine limit ' +
          '(node-locked or floating) gets files only for one of its activated machines: `fingerprint` is ' +
          'required, and the file names that machine; only a license without a machine limit may get a file ' +
          'naming none (`license.maxMachines` 0 in the file). The file states its issue time and ' +
          'expiry, which never outlives the license, the activation or a floating lease. With the license ' +
          'key as credential the time-to-live is at most 30 days, with a token at most 365 (default 7).',
        body: CheckOutBody,
        response: {
          200: LicenseFile,
          ...errorResponses(
            'LICENSE_NOT_FOUND',
            'LICENSE_REVOKED',
            'LICENSE_SUSPENDED',
            'LICENSE_EXPIRED',
            'PRODUCT_MISMATCH',
            'MACHINE_NOT_FOUND',
            'MACHINE_LIMIT_REACHED',
          ),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const license = await licenseNamedBy(keyward, principal, request.body, 'reach');
      const { fingerprint, productId, ttlSeconds, encrypt, nonce } = request.body;
      const issued = await keyward.licenseFiles.checkOut(actorOf(request, 'native'), license, {
        fingerprint,
        productId,
        ttlSeconds,
        encrypt,
        nonce,
        callerKind: principal.kind,
      });
      return {
        file: issued.file,
        issuedAt: issued.issuedAt.toISOString(),
        expiresAt: issued.expiresAt.toISOString(),
        isEncrypted: issued.isEncrypted,
      };
    },
  );

  app.post(
    '/offline/responses',
    {
      config: { auth: { scope: 'machines:write', license: true, method: 'key/activate' } },
      schema: {
        tags,
        summary: "Answer an air-gapped machine's request",
        description:
          "Answers an air-gapped machine's offline request (activation, deactivation or verified trial, the " +
          'format of the SDK and of LimeLM pkey.manualActivation) with a signed response the machine ' +
          'activates from. The same rules as online activation apply. A license key credential may answer ' +
          'requests for its own key only; verified trials need a token.',
        body: RespondBody,
        response: {
          200: OfflineResponse,
          ...errorResponses(
            'NOT_FOUND',
            'CONFLICT',
            'LICENSE_NOT_FOUND',
            'LICENSE_REVOKED',
            'LICENSE_SUSPENDED',
            'LICENSE_EXPIRED',
            'PRODUCT_MISMATCH',
            'MACHINE_LIMIT_REACHED',
            'MACHINE_NOT_FOUND',
            'DEACTIVATION_LIMIT_REACHED',
            'VM_NOT_ALLOWED',
            'USERNAME_NOT_ALLOWED',
          ),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const actor = actorOf(request, 'native');
      const parsed = keyward.offline.parse(request.body.request);
      if (parsed.type === 'verified-trial') {
        const { response, trial } = await keyward.offline.startVerifiedTrial(actor, parsed);
        return { type: parsed.type, nonce: parsed.nonce, response, machineId: null, trialId: trial.id };
      }
      const license = await licenseNamedBy(keyward, principal, { key: parsed.key }, 'reach');
      if (parsed.type === 'deactivation') {
        await keyward.offline.deactivate(actor, license, parsed);
        return {
          type: parsed.type,
          nonce: parsed.nonce,
          response: null,
          machineId: parsed.machineId,
          trialId: null,
        };
      }
      const { response, machine } = await keyward.offline.activate(actor, license, parsed);
      return { type: parsed.type, nonce: parsed.nonce, response, machineId: machine.id, trialId: null };
    },
  );
}
