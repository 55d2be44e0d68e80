/** The groups the native API's operations are listed in, in the order the reference shows them. */
export const NATIVE_TAGS = [
  { name: 'products', description: 'What licenses unlock.' },
  { name: 'policies', description: 'The rules a family of licenses of one product follows.' },
  {
    name: 'licenses',
    description: 'Keys and what they allow: create, find, change, suspend, revoke, extend.',
  },
  {
    name: 'validation',
    description: 'Whether a license lets an app run; signed answers apps verify with the ed25519 key.',
  },
  { name: 'machines', description: 'Activations (seats): activate, heartbeat, deactivate.' },
  { name: 'offline', description: 'License files and the air-gapped request/response exchange.' },
  { name: 'customers', description: 'Whom licenses are sold to.' },
  { name: 'resellers', description: 'Resellers licenses can name.' },
  { name: 'license-templates', description: 'Policies plus license settings that licenses are minted from.' },
  { name: 'data objects', description: 'Named values kept on licenses, machines and products.' },
  { name: 'events', description: 'The audit log.' },
  { name: 'analytics', description: 'Feature-usage events apps registered.' },
  { name: 'stats', description: "Counts for the dashboard's overview." },
  { name: 'webhooks', description: 'Signed deliveries of events to your endpoints, logged and retried.' },
  {
    name: 'email',
    description: 'Email to your customers: the SMTP setup, the templates per product, and the outbox.',
  },
  { name: 'imports', description: 'Imports from Cryptolens, LimeLM, AuthTool and CSV.' },
  {
    name: 'payments',
    description: 'Payment providers (Stripe, Paddle Billing, Lemon Squeezy) whose purchases become licenses.',
  },
  { name: 'messages', description: 'Notes the vendor broadcasts to its apps by channel.' },
  { name: 'tokens', description: 'API tokens: scopes, locks and limits.' },
  { name: 'signing keys', description: 'The public keys answers and license files are signed with.' },
  { name: 'dashboard session', description: 'Signing in to and out of the web dashboard.' },
  { name: 'dashboard users', description: "The web dashboard's users; administrators manage them." },
  { name: 'portal', description: "The customer portal's settings: name, colours, logo, allowed actions." },
] as const;
