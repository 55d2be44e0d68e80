import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { presentSigningKey } from '../present.js';
import { SigningKey } from '../schemas.js';

export function signingKeyRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/signing-keys',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['signing keys'],
        summary: 'List the public signing keys',
        description:
          'The public keys apps embed: ed25519 checks Keyward-Signature headers; rsa-2048 (also as .NET ' +
          '`<RSAKeyValue>` XML) checks Cryptolens-style signed license objects.',
        security: [],
        response: {
          200: Type.Object(
            { data: Type.Array(SigningKey) },
            { description: 'The public keys, one per algorithm.' },
          ),
        },
      },
    },
    async () => ({ data: keyward.signingKeys.listPublic().map(presentSigningKey) }),
  );
}
