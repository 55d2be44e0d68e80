import { Type } from 'typebox';
import { assertUnrestricted } from '../../../core/access/principal.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { EXAMPLE } from '../openapi/examples.js';
import { presentToken } from '../present.js';
import { IdParams, Token, TokenCreate, TokenListQuery } from '../schemas.js';

const tags = ['tokens'];

export function tokenRoutes(app: App, keyward: Keyward): void {
  // Idempotent like every write: a replayed answer carries the secret, kept sealed (idempotency-service.ts).
  app.post(
    '/tokens',
    {
      config: { auth: { scope: 'tokens:write' } },
      schema: {
        tags,
        summary: 'Create an API token',
        description:
          'Creates an API token. The secret is in the answer once and never again; only its hash is kept. A ' +
          'token grants at most what its creator holds: no scope it lacks, no looser product, license, method, ' +
          'feature or address lock, no higher limits. Only API tokens (and dashboard admins) create tokens.',
        body: TokenCreate,
        response: {
          201: Type.Object(
            {
              ...Token.properties,
              secret: Type.String({
                description: 'Send as `Authorization: Bearer <secret>`; shown only in this answer',
                examples: [EXAMPLE.tokenSecret],
              }),
            },
            { title: 'TokenWithSecret', description: 'The token and its secret, shown this once.' },
          ),
          ...errorResponses('NOT_FOUND', 'LICENSE_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const { expiresAt, ...input } = request.body;
      const { token, secret } = await keyward.tokens.create(
        actorOf(request, 'native'),
        principalOf(request),
        {
          ...input,
          expiresAt: expiresAt == null ? null : new Date(expiresAt),
        },
      );
      return reply.status(201).send({ ...presentToken(token), secret });
    },
  );

  app.get(
    '/tokens',
    {
      config: { auth: { scope: 'tokens:read' } },
      schema: {
        tags,
        summary: 'List API tokens',
        description:
          'Every API token, without secrets; revoked ones with `includeRevoked`. Needs an unlocked token.',
        querystring: TokenListQuery,
        response: {
          200: Type.Object({ data: Type.Array(Token) }, { description: 'The tokens, oldest first.' }),
        },
      },
    },
    async (request) => {
      const tokens = await keyward.tokens.list(principalOf(request), request.query.includeRevoked ?? false);
      return { data: tokens.map(presentToken) };
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { auth: { scope: 'tokens:write' } },
      schema: {
        tags,
        summary: 'Revoke an API token',
        description:
          'Revokes a token for good. Needs an unlocked token, which may revoke only tokens with no more power ' +
          'than its own; the operator’s token (KEYWARD_ADMIN_TOKEN) is replaced only by changing that setting.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      await keyward.tokens.revoke(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
