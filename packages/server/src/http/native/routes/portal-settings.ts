import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { PortalSettings as Settings } from '../../../core/portal/portal-ports.js';
import { MAX_DISPLAY_NAME_LENGTH, MAX_LOGO_DATA_URL_LENGTH } from '../../../core/portal/portal-settings.js';
import type { App } from '../../fastify-context.js';
import { actorOf } from '../../plugins/authenticate.js';
import { errorResponses } from '../openapi/error-responses.js';

const tags = ['portal'];

const Color = Type.String({
  pattern: '^#[0-9a-fA-F]{6}$',
  description: 'A colour as #rrggbb',
  examples: ['#1f4f99'],
});
const allowed = (description: string) => Type.Boolean({ description });
const AllowedActions = Type.Object(
  {
    deactivation: allowed('Customers may deactivate their machines (within the deactivation limit)'),
    licenseFile: allowed('Customers may download signed license files'),
    offlineActivation: allowed("Customers may answer their air-gapped machines' activation requests"),
  },
  { additionalProperties: false },
);
const fields = {
  isEnabled: Type.Boolean({ description: 'Whether customers may sign in' }),
  displayName: Type.String({
    minLength: 1,
    maxLength: MAX_DISPLAY_NAME_LENGTH,
    description: 'The name customers see',
    examples: ['Acme Software'],
  }),
  primaryColor: Color,
  accentColor: Color,
  logoDataUrl: Type.Union(
    [
      Type.String({
        maxLength: MAX_LOGO_DATA_URL_LENGTH,
        description: 'A PNG, JPEG, GIF or WebP image as a base64 data: URL (the portal loads nothing remote)',
      }),
      Type.Null(),
    ],
    { description: 'The logo; null shows the name alone' },
  ),
};

const PortalSettings = Type.Object(
  {
    ...fields,
    allowedActions: AllowedActions,
    publicUrl: Type.Union([Type.String(), Type.Null()], {
      description:
        'KEYWARD_PUBLIC_URL, the base of the sign-in links the portal mails (the portal is at <publicUrl>/portal/); null: not set, and no link can be mailed',
    }),
    updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the settings were last saved; null: never (these are the defaults)',
    }),
  },
  { title: 'PortalSettings', description: "The customer portal's settings." },
);
const PortalSettingsUpdate = Type.Partial(
  Type.Object({ ...fields, allowedActions: Type.Partial(AllowedActions, { additionalProperties: false }) }),
  { additionalProperties: false },
);

const present = (s: Settings, publicUrl: string | null) => ({
  isEnabled: s.isEnabled,
  displayName: s.displayName,
  primaryColor: s.primaryColor,
  accentColor: s.accentColor,
  logoDataUrl: s.logoDataUrl,
  allowedActions: s.allowedActions,
  publicUrl,
  updatedAt: s.updatedAt?.toISOString() ?? null,
});

/** The customer portal's settings; the portal itself is served under /portal (http/portal/). */
export function portalSettingsRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/portal/settings',
    {
      config: { auth: { scope: 'portal:read' } },
      schema: {
        tags,
        summary: "Read the customer portal's settings",
        description:
          "Whether the customer portal is on, the vendor's name, colours and logo customers see there, which " +
          'actions customers may take, and the public URL its sign-in links start with.',
        response: { 200: PortalSettings },
      },
    },
    async (request) =>
      present(await keyward.portalSettings.get(actorOf(request, 'native')), keyward.portalSettings.publicUrl),
  );

  app.put(
    '/portal/settings',
    {
      config: { auth: { scope: 'portal:write' } },
      schema: {
        tags,
        summary: "Change the customer portal's settings",
        description:
          'Changes the settings given and keeps the others. Colours are #rrggbb; the logo is a small image ' +
          'stored as a data: URL, never a link, so the portal loads nothing from elsewhere.',
        body: PortalSettingsUpdate,
        response: { 200: PortalSettings, ...errorResponses('INVALID_INPUT') },
      },
    },
    async (request) =>
      present(
        await keyward.portalSettings.update(actorOf(request, 'native'), request.body),
        keyward.portalSettings.publicUrl,
      ),
  );
}
