import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from './test-support/server-process.js';

/** The `keyward` command sizes libuv's thread pool before anything starts it (see keyward.cts), and the heap's growth. */
describe('the keyward entry point', () => {
  let server: ServerProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function logged(env: Record<string, string>, message: string): Promise<Record<string, unknown>> {
    ensureBuilt();
    const [port] = await freePorts(1);
    dir = mkdtempSync(join(tmpdir(), 'keyward-entry-'));
    server = startServerProcess({
      port: port as number,
      databaseUrl: join(dir, 'keyward.sqlite'),
      env: { LOG_LEVEL: 'info', ...env },
    });
    await waitUntilReady(server);
    const line = server.output
      .join('')
      .split('\n')
      .find((text) => text.includes(message));
    expect(line, server.output.join('')).toBeDefined();
    return JSON.parse(line as string);
  }

  const threadPoolSizeLogged = async (env: Record<string, string>) =>
    (await logged(env, 'libuv thread pool')).threadPoolSize;
  const heapGrowthLogged = async (env: Record<string, string>) =>
    (await logged(env, 'heap growth')).heapGrowth;

  it('leaves one core to the event loop by default', async () => {
    expect(await threadPoolSizeLogged({})).toBe(String(Math.max(1, availableParallelism() - 1)));
  });

  it('keeps the size an operator set', async () => {
    expect(await threadPoolSizeLogged({ UV_THREADPOOL_SIZE: '6' })).toBe('6');
  });

  it('lets the heap grow by half past what is live', async () => {
    expect(await heapGrowthLogged({})).toBe('50%');
  });

  it('leaves the heap growth to V8 when the operator sets 0', async () => {
    expect(await heapGrowthLogged({ KEYWARD_HEAP_GROWTH_PERCENT: '0' })).toBe("V8's own");
  });
});
