import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { freePort, SERVER_THREAD_POOL_SIZE } from './bench-server.js';
import type { LoadResult, LoadSpec } from './load.js';
import { rssSampler } from './processes.js';

/**
 * The baselines, measured in the same run as the scenarios they divide: a bare node:http server (bare-server.ts)
 * of one kind, answering as many bytes as the scenario's answer, driven exactly like the scenarios.
 */

export type BaselineKind = 'plain' | 'ed25519' | 'rsa-2048';

const DIST = resolve(import.meta.dirname);

/** What every answer of each kind contains; anything else fails the run, as for the scenarios. */
const EXPECT: Record<BaselineKind, string> = {
  plain: '"valid":true',
  ed25519: '"valid":true',
  'rsa-2048': '"result":0',
};

export async function measureBaseline(
  kind: BaselineKind,
  answerBytes: number,
  load: (spec: Omit<LoadSpec, 'connections' | 'warmupSeconds' | 'durationSeconds'>) => Promise<LoadResult>,
  population: LoadSpec['population'],
): Promise<{ result: LoadResult; rssMb: number; bytes: number }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(DIST, 'bare-server.js'), String(port), String(answerBytes), kind],
    {
      // The server's pool size: a signing baseline gets as many signing threads as the server has.
      env: { ...process.env, UV_THREADPOOL_SIZE: String(SERVER_THREAD_POOL_SIZE) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const { bytes } = JSON.parse(String(line)) as { bytes: number };
    const url = `http://127.0.0.1:${port}`;
    await assertSigned(kind, url);
    const peak = rssSampler(child.pid as number);
    const result = await load({
      url,
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: '{"key":"{key}","fingerprint":"{fp}"}',
      population,
      expect: EXPECT[kind],
      serverPid: child.pid,
    });
    return { result, rssMb: peak(), bytes };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

/** A signing baseline that answered unsigned would be a ceiling for nothing: check one answer first. */
async function assertSigned(kind: BaselineKind, url: string): Promise<void> {
  if (kind === 'plain') return;
  const response = await fetch(url, { method: 'POST', body: '{}' });
  const body = await response.text();
  const signature =
    kind === 'ed25519'
      ? /^ed25519=(.+)$/.exec(response.headers.get('keyward-signature') ?? '')?.[1]
      : (JSON.parse(body) as { signature?: string }).signature;
  // Ed25519 signatures are 64 bytes, RSA-2048 ones 256: 88 and 344 characters of base64.
  const expected = kind === 'ed25519' ? 88 : 344;
  if (signature?.length !== expected) throw new Error(`the ${kind} baseline answered without its signature`);
}
