import type { Static } from 'typebox';
import { licenseNotFound } from '../../../core/access/principal.js';
import type { Keyward } from '../../../core/keyward.js';
import type { Validation } from '../../../core/validation/validation-service.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses } from '../openapi/error-responses.js';
import { presentLicense, presentMachine } from '../present.js';
import { IdParams, ValidateBody, ValidateKeyBody, ValidationResult } from '../schemas.js';

const tags = ['validation'];
const description =
  'The answer is signed: the `Keyward-Signature` header holds `ed25519=<base64>`, an Ed25519 signature over ' +
  'the exact response body bytes, checkable with the ed25519 key from GET /v1/signing-keys. The body echoes ' +
  '`nonce` and what was asked (`request`: key or license id, fingerprint, product, features) and carries the ' +
  'server time `ts`: an app accepts the answer only when all of them match its own request and clock, so ' +
  'neither a replayed answer nor one about another key or machine passes. `"sign": false` in the body ' +
  'leaves the signature out.';

function present(
  validation: Validation,
  body: Static<typeof ValidateBody>,
  asked: { key: string | null; licenseId: number | null },
) {
  const { outcome, state, machines, at } = validation;
  const machine = body.fingerprint ? machines.find((m) => m.fingerprint === body.fingerprint) : undefined;
  // Literals field by field: one that starts with a spread is built slowly, on every validation.
  return {
    valid: outcome.valid,
    code: outcome.code,
    detail: outcome.detail,
    nonce: body.nonce ?? null,
    ts: at.toISOString(),
    request: {
      key: asked.key,
      licenseId: asked.licenseId,
      fingerprint: body.fingerprint ?? null,
      productId: body.productId ?? null,
      features: body.features ?? null,
    },
    license: state ? presentLicense(state) : null,
    machine: machine ? presentMachine(machine) : null,
  };
}

/**
 * A validation changes nothing that a retry could repeat, and its answer must be of now: a replayed one would
 * carry the first answer's outcome and `ts`. So Idempotency-Key does not apply here (idempotency.ts).
 */
const NOT_IDEMPOTENT = false;

const scopeOf = (body: Static<typeof ValidateBody>) => ({
  fingerprint: body.fingerprint,
  productId: body.productId,
  features: body.features,
});

export function validationRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/licenses/:id/actions/validate',
    {
      config: {
        auth: { scope: 'licenses:validate', license: true, method: 'key/getkey' },
        signed: true,
        idempotent: NOT_IDEMPOTENT,
      },
      schema: {
        tags,
        summary: 'Validate a license by id',
        description: `Answers whether the license lets an app run (\`valid\`, and why: \`code\`), optionally on one machine, for one product and with some features; an invalid license is an answer (200), not an error. ${description}`,
        params: IdParams,
        body: ValidateBody,
        response: { 200: ValidationResult, ...errorResponses('LICENSE_NOT_FOUND') },
      },
    },
    async (request) => {
      const license = await keyward.licenses.find(principalOf(request), request.params.id);
      if (!license) throw licenseNotFound();
      const validation = await keyward.validation.validateLicense(
        actorOf(request, 'native'),
        license,
        scopeOf(request.body),
      );
      return present(validation, request.body, { key: null, licenseId: request.params.id });
    },
  );

  app.post(
    '/licenses/actions/validate-key',
    {
      config: {
        auth: { scope: 'licenses:validate', license: true, optional: true, method: 'key/getkey' },
        signed: true,
        idempotent: NOT_IDEMPOTENT,
      },
      schema: {
        tags,
        summary: 'Validate a license by key',
        description: `Answers whether the license of a key lets an app run (\`valid\`, and why: \`code\`); an unknown key, or one the caller may not see, is an answer too (\`NOT_FOUND\`). Apps call this with the key alone (no Authorization header) when the policy allows the key as a credential. ${description}`,
        body: ValidateKeyBody,
        response: { 200: ValidationResult },
        security: [{}, { bearer: [] }, { licenseKey: [] }],
      },
    },
    async (request) => {
      const body = request.body;
      const key = body.key;
      const validation = await keyward.validation.validateKey(
        request.principal,
        actorOf(request, 'native'),
        key,
        scopeOf(body),
      );
      return present(validation, body, { key, licenseId: null });
    },
  );
}
