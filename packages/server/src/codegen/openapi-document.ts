import { randomBytes } from 'node:crypto';
import { systemClock } from '../core/clock.js';
import { createKeyward } from '../core/keyward.js';
import { SecretBox } from '../core/signing/secrets.js';
import { buildApp } from '../http/build-app.js';
import { createStore } from '../storage/create-store.js';

interface Response {
  description: string;
  content?: Record<string, { schema?: unknown }>;
}

/** The parts of an OpenAPI document the generators read. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, Response> }>>;
}

/** The OpenAPI document the server serves at /openapi.json, from the app built in this process. */
export async function openApiDocument(): Promise<OpenApiDocument> {
  const store = createStore({ kind: 'sqlite', path: ':memory:' });
  await store.migrate();
  const keyward = createKeyward({
    store,
    clock: systemClock,
    secretBox: new SecretBox(randomBytes(32).toString('hex')),
    onBackgroundError: (error) => {
      throw error;
    },
  });
  const app = await buildApp({
    keyward,
    logger: false,
    rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null },
    trustProxy: false,
  });
  try {
    await app.ready();
    return app.swagger() as unknown as OpenApiDocument;
  } finally {
    await app.close();
    await keyward.bookkeeping.flush();
    await store.close();
  }
}
