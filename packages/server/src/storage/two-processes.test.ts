import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  PROCESS_ADMIN_TOKEN,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../test-support/server-process.js';
import { createPostgresSchemaUrl, postgresAvailable } from '../test-support/test-store.js';

/**
 * Principle 4 across processes: two real `keyward serve` processes share one PostgreSQL schema and take turns
 * answering one burst of parallel requests. Only the database can keep the limits exact here.
 */

const PARALLEL = 100;

interface Answer {
  status: number;
  body: { error?: { code: string }; [key: string]: unknown } | null;
}

async function call(server: ServerProcess, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${PROCESS_ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** Counts answers as `status` or `status CODE`, e.g. `{ '201': 5, '422 MACHINE_LIMIT_REACHED': 95 }`. */
function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, body } of answers) {
    const key = body?.error ? `${status} ${body.error.code}` : String(status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const runs = await postgresAvailable();

describe.runIf(runs)('two server processes sharing one PostgreSQL schema', () => {
  const servers: ServerProcess[] = [];
  let dropSchema: (() => Promise<void>) | null = null;
  /** Alternates between the processes, so neighbouring requests of a burst race in different processes. */
  const server = (i: number) => servers[i % servers.length] as ServerProcess;

  beforeAll(async () => {
    ensureBuilt();
    const { url, drop } = await createPostgresSchemaUrl();
    dropSchema = drop;
    const ports = await freePorts(2);
    // Both at once, as an orchestrator starts them: they race to migrate and to insert the KEYWARD_ADMIN_TOKEN
    // row, and both must come up.
    for (const port of ports) servers.push(startServerProcess({ port, databaseUrl: url }));
    await Promise.all(servers.map((started) => waitUntilReady(started)));
  });

  afterAll(async () => {
    for (const { child, exited } of servers) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await dropSchema?.();
  });

  async function licenseUnder(policy: Record<string, unknown>): Promise<{ id: number; key: string }> {
    const product = await call(server(0), 'POST', '/v1/products', { name: 'Two processes' });
    expect(product.status).toBe(201);
    const created = await call(server(1), 'POST', '/v1/policies', {
      productId: product.body?.id,
      name: 'limited',
      ...policy,
    });
    expect(created.status).toBe(201);
    const license = await call(server(0), 'POST', '/v1/licenses', { policyId: created.body?.id });
    expect(license.status).toBe(201);
    return license.body as unknown as { id: number; key: string };
  }

  async function activeMachines(licenseId: number): Promise<number[]> {
    const lists = await Promise.all(
      servers.map((s) => call(s, 'GET', `/v1/machines?licenseId=${licenseId}&limit=1000`)),
    );
    const [first, second] = lists.map((list) => {
      expect(list.status).toBe(200);
      return (list.body as { data: { id: number }[] }).data.map((m) => m.id);
    });
    // Both processes read the same rows.
    expect(second).toEqual(first);
    return first as number[];
  }

  const activateMany = (licenseId: number, count: number, prefix: string) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        call(server(i), 'POST', '/v1/machines', { licenseId, fingerprint: `${prefix}-${i}` }),
      ),
    );

  it(`gives 5 seats to exactly 5 of ${PARALLEL} parallel activations`, async () => {
    const license = await licenseUnder({ maxMachines: 5 });
    const answers = await activateMany(license.id, PARALLEL, 'node');
    expect(tally(answers)).toEqual({ '201': 5, '422 MACHINE_LIMIT_REACHED': PARALLEL - 5 });
    const winners = answers.filter((a) => a.status === 201).map((a) => a.body?.id as number);
    expect((await activeMachines(license.id)).sort()).toEqual(winners.sort());
    const after = await call(server(1), 'GET', `/v1/licenses/${license.id}`);
    expect(after.body?.activationCount).toBe(5);
  });

  it(`gives 5 floating leases to exactly 5 of ${PARALLEL} parallel activations`, async () => {
    const license = await licenseUnder({ maxMachines: 5, isFloating: true, leaseSeconds: 600 });
    const answers = await activateMany(license.id, PARALLEL, 'floating');
    expect(tally(answers)).toEqual({ '201': 5, '422 MACHINE_LIMIT_REACHED': PARALLEL - 5 });
    for (const answer of answers.filter((a) => a.status === 201))
      expect(answer.body?.leaseExpiresAt).toBeTruthy();
    expect(await activeMachines(license.id)).toHaveLength(5);
  });

  it('lets exactly 3 of 20 parallel deactivations pass a deactivation limit of 3', async () => {
    const license = await licenseUnder({ maxMachines: 0, maxDeactivations: 3 });
    const activations = await activateMany(license.id, 20, 'deactivate');
    expect(tally(activations)).toEqual({ '201': 20 });
    const machineIds = activations.map((a) => a.body?.id as number);

    const answers = await Promise.all(
      machineIds.map((id, i) => call(server(i), 'DELETE', `/v1/machines/${id}`)),
    );
    expect(tally(answers)).toEqual({ '204': 3, '422 DEACTIVATION_LIMIT_REACHED': 17 });
    const deactivated = machineIds.filter((_, i) => answers[i]?.status === 204);
    const active = await activeMachines(license.id);
    expect(active).toHaveLength(17);
    for (const id of deactivated) expect(active).not.toContain(id);
    const after = await call(server(0), 'GET', `/v1/licenses/${license.id}`);
    expect(after.body?.deactivationCount).toBe(3);
  });

  it('shuts both processes down gracefully on SIGTERM', async () => {
    expect(servers).toHaveLength(2);
    for (const { child } of servers) child.kill('SIGTERM');
    const exits = await Promise.all(servers.map((s) => s.exited));
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});
