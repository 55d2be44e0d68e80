import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import { assertUnrestricted } from '../../../core/principal.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
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
        description:
          'The secret is in the answer once and never again; only its hash is kept. A token grants at most ' +
          'what its creator holds.',
        body: TokenCreate,
        response: { 201: Type.Object({ ...Token.properties, secret: Type.String() }) },
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
        querystring: TokenListQuery,
        response: { 200: Type.Object({ data: Type.Array(Token) }) },
      },
    },
    async (request) => {
      const tokens = await keyward.tokens.list(principalOf(request), request.query.includeRevoked ?? false);
      return { data: tokens.map(presentToken) };
    },
  );

  app.delete(
    '/tokens/:id',
    { config: { auth: { scope: 'tokens:write' } }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      await keyward.tokens.revoke(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
