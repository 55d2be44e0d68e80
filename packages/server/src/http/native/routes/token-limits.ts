import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses } from '../openapi/error-responses.js';
import { presentToken } from '../present.js';
import { IdParams, Token, TokenLimitsUpdate } from '../schemas.js';

const tags = ['tokens'];

/** Changing a token's limits after creation; only an unlocked token without limits of its own may. */
export function tokenLimitRoutes(app: App, keyward: Keyward): void {
  app.patch(
    '/tokens/:id',
    {
      config: { auth: { scope: 'tokens:write' } },
      schema: {
        tags,
        summary: "Change an API token's limits",
        description:
          'Sets a token dormant or awake, or changes its client-address limit or seat allowance (null removes ' +
          'a limit). A token cannot make itself dormant, and grants no limit looser than its own.',
        params: IdParams,
        body: TokenLimitsUpdate,
        response: { 200: Token, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      const token = await keyward.tokenLimits.update(
        actorOf(request, 'native'),
        principalOf(request),
        request.params.id,
        request.body,
      );
      return presentToken(token);
    },
  );

  app.post(
    '/tokens/:id/actions/reset-addresses',
    {
      config: { auth: { scope: 'tokens:write' } },
      schema: {
        tags,
        summary: "Reset an API token's client addresses",
        description:
          'Forgets the client addresses that used the token, so a token with an address limit can move to ' +
          'new servers.',
        params: IdParams,
        response: {
          200: Type.Object(
            { cleared: Type.Integer({ description: 'How many addresses were forgotten', examples: [2] }) },
            { description: 'The addresses are forgotten.' },
          ),
          ...errorResponses('NOT_FOUND'),
        },
      },
    },
    async (request) => ({
      cleared: await keyward.tokenLimits.resetClientAddresses(
        actorOf(request, 'native'),
        principalOf(request),
        request.params.id,
      ),
    }),
  );
}
