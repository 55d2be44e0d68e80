import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
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
        description:
          'Sets a token dormant or awake, or changes its client-address limit or seat allowance (null removes ' +
          'a limit). A token cannot make itself dormant.',
        params: IdParams,
        body: TokenLimitsUpdate,
        response: { 200: Token },
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
        description:
          'Forgets the client addresses that used the token, so a token with an address limit can move to ' +
          'new servers.',
        params: IdParams,
        response: { 200: Type.Object({ cleared: Type.Integer() }) },
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
