import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrivatePostgres,
  postgresBinaries,
  startPrivatePostgres,
} from './test-support/private-postgres.js';
import {
  type Answer,
  ensureBuilt,
  freePorts,
  licenseUnder,
  PROCESS_ADMIN_TOKEN,
  request,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from './test-support/server-process.js';

/**
 * PostgreSQL restarted under load (a private throwaway instance, never the shared one): while it is gone
 * every surface answers its own "unavailable" — native 503 UNAVAILABLE, LimeLM error 142, Cryptolens'
 * busy message with 503, AuthTool's 503 — never a 500 and never a dropped connection; once it is back the
 * server recovers by itself; and every activation acknowledged before, during or after is kept.
 */

type Surface = 'native activate' | 'native validate' | 'limelm' | 'cryptolens' | 'authtool';
const SURFACES: Surface[] = ['native activate', 'native validate', 'limelm', 'cryptolens', 'authtool'];

interface Observation {
  surface: Surface;
  at: number;
  outcome: 'ok' | 'unavailable' | 'wrong';
  answer: Answer;
}

const hasBinaries = postgresBinaries() !== null;
if (!hasBinaries && process.env.CI) throw new Error('CI=true but no PostgreSQL server binaries were found');

describe.runIf(hasBinaries)('PostgreSQL restarted under load', () => {
  let postgres: PrivatePostgres;
  let server: ServerProcess;

  beforeAll(async () => {
    ensureBuilt();
    postgres = await startPrivatePostgres();
    const [port] = (await freePorts(1)) as [number];
    server = startServerProcess({ port, databaseUrl: postgres.url });
    await waitUntilReady(server);
  }, 120_000);

  afterAll(async () => {
    await server?.kill();
    await postgres?.destroy();
  });

  it('answers "unavailable" on every surface, recovers, and loses nothing acknowledged', async () => {
    const license = await licenseUnder(server.url, { maxMachines: 100_000 });
    const observations: Observation[] = [];
    const acknowledged = new Map<string, number>();
    let sequence = 0;

    const call = async (surface: Surface): Promise<Observation> => {
      const at = Date.now();
      switch (surface) {
        case 'native activate': {
          const fingerprint = `restart-${sequence++}`;
          const answer = await request(server.url, 'POST', '/v1/machines', {
            json: { licenseId: license.id, fingerprint },
          });
          if (answer.status === 201) acknowledged.set(fingerprint, answer.body?.id as number);
          return {
            surface,
            at,
            answer,
            outcome:
              answer.status === 201
                ? 'ok'
                : answer.status === 503 && answer.body?.error?.code === 'UNAVAILABLE'
                  ? 'unavailable'
                  : 'wrong',
          };
        }
        case 'native validate': {
          const answer = await request(server.url, 'POST', '/v1/licenses/actions/validate-key', {
            json: { key: license.key },
            token: null,
          });
          return {
            surface,
            at,
            answer,
            outcome:
              answer.status === 200 && answer.body?.valid === true
                ? 'ok'
                : answer.status === 503 && answer.body?.error?.code === 'UNAVAILABLE'
                  ? 'unavailable'
                  : 'wrong',
          };
        }
        case 'limelm': {
          const answer = await request(server.url, 'POST', '/api/rest/', {
            token: null,
            form: {
              api_key: PROCESS_ADMIN_TOKEN,
              method: 'limelm.pkey.getDetails',
              pkey_id: String(license.id),
              format: 'json',
              nojsoncallback: '1',
            },
          });
          const body = answer.body as { stat?: string; code?: number } | null;
          return {
            surface,
            at,
            answer,
            outcome:
              answer.status === 200 && body?.stat === 'ok'
                ? 'ok'
                : answer.status === 200 && body?.stat === 'fail' && body.code === 142
                  ? 'unavailable'
                  : 'wrong',
          };
        }
        case 'cryptolens': {
          const answer = await request(server.url, 'POST', '/cryptolens/api/key/GetKey', {
            token: null,
            form: {
              token: PROCESS_ADMIN_TOKEN,
              ProductId: String(license.productId),
              Key: license.key,
              Sign: 'true',
              SignMethod: '1',
            },
          });
          const body = answer.body as { result?: number; message?: string } | null;
          return {
            surface,
            at,
            answer,
            outcome:
              answer.status === 200 && body?.result === 0
                ? 'ok'
                : answer.status === 503 && body?.result === 1 && /try again/i.test(body.message ?? '')
                  ? 'unavailable'
                  : 'wrong',
          };
        }
        case 'authtool': {
          const answer = await request(server.url, 'GET', `/public/v1/key/${license.key}/detail`, {
            token: null,
            headers: { 'x-api-key': PROCESS_ADMIN_TOKEN },
          });
          const body = answer.body as { message?: string } | null;
          return {
            surface,
            at,
            answer,
            outcome:
              answer.status === 200
                ? 'ok'
                : answer.status === 503 && /unavailable/i.test(body?.message ?? '')
                  ? 'unavailable'
                  : 'wrong',
          };
        }
      }
    };

    let isRunning = true;
    const loop = async (offset: number) => {
      for (let i = offset; isRunning; i++) {
        const observation = await call(SURFACES[i % SURFACES.length] as Surface);
        observations.push(observation);
        if (observation.outcome !== 'ok') await new Promise((done) => setTimeout(done, 20));
      }
    };
    const loops = Array.from({ length: 5 }, (_, i) => loop(i));

    await new Promise((done) => setTimeout(done, 1000));
    const downAt = Date.now();
    await postgres.stop('fast');
    await new Promise((done) => setTimeout(done, 2000));
    await postgres.start();
    const upAt = Date.now();
    // Recovery needs no help: wait until every surface has succeeded again on its own.
    const deadline = upAt + 30_000;
    const recovered = () =>
      SURFACES.every((surface) =>
        observations.some((o) => o.surface === surface && o.at > upAt && o.outcome === 'ok'),
      );
    while (!recovered() && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
    await new Promise((done) => setTimeout(done, 500));
    isRunning = false;
    await Promise.all(loops);

    const wrong = observations
      .filter((o) => o.outcome === 'wrong')
      .map((o) => `${o.surface}: ${o.answer.status} ${o.answer.text.slice(0, 200)}`);
    expect(wrong, server.output.join('').slice(-4000)).toEqual([]);
    for (const surface of SURFACES) {
      const mine = observations.filter((o) => o.surface === surface);
      expect(
        mine.some((o) => o.at < downAt && o.outcome === 'ok'),
        `${surface} before`,
      ).toBe(true);
      expect(
        mine.some((o) => o.outcome === 'unavailable'),
        `${surface} while down`,
      ).toBe(true);
      expect(
        mine.some((o) => o.at > upAt && o.outcome === 'ok'),
        `${surface} after`,
      ).toBe(true);
    }
    expect(server.child.exitCode).toBeNull();

    const machines = await request(server.url, 'GET', `/v1/machines?licenseId=${license.id}&limit=1000`);
    const stored = new Map(
      ((machines.body?.data ?? []) as Array<{ id: number; fingerprint: string }>).map((m) => [
        m.fingerprint,
        m.id,
      ]),
    );
    expect(acknowledged.size).toBeGreaterThan(0);
    for (const [fingerprint, id] of acknowledged) expect(stored.get(fingerprint)).toBe(id);
    const after = await request(server.url, 'GET', `/v1/licenses/${license.id}`);
    expect(after.body?.activationCount).toBe(stored.size);
  }, 90_000);
});
