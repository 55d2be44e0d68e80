/**
 * Values shaped exactly like the ones the server writes, for the examples of the OpenAPI document: a key of
 * the default format and alphabet (core/licenses/license-key.ts), a token as core/signing/secrets.ts makes them, instants as
 * the API writes them (ISO 8601, UTC, milliseconds).
 */
export const EXAMPLE = {
  licenseKey: 'JNQN5-DZ45R-7KQ2M-W8HPT',
  keyFormat: 'XXXXX-XXXXX-XXXXX-XXXXX',
  tokenPrefix: 'kw_10edaa66',
  tokenSecret: 'kw_10edaa66_R-Raftoz8ApoP1Do4GaxosBqse13h3FF',
  fingerprint: '228e133cc3cd97d51e683a9913592087',
  requestId: '48e288bd-b217-4db3-a939-7ea6bceb0922',
  createdAt: '2026-03-02T09:14:27.311Z',
  updatedAt: '2026-03-09T16:41:05.872Z',
  validatedAt: '2026-03-10T07:58:12.045Z',
  expiresAt: '2027-03-02T09:14:27.311Z',
  email: 'ada@example.com',
  ip: '203.0.113.24',
  webhookUrl: 'https://hooks.example.com/keyward',
  webhookSecret: 'whsec_P8YQVbyM2VhFr3URRa4R4ptYLlsB24K094W0giOgSqM',
  nonce: 'b9c1e0f2-app-start-0042',
  cursor: '1841',
} as const;
