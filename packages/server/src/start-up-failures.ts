import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { ConfigError } from './config.js';
import { isDomainError } from './core/domain-error.js';
import { SealedWithAnotherSecretError } from './core/signing/signing-key-service.js';
import { DatabaseAccessError } from './storage/data-paths.js';

/** A start that cannot go on, said in one line: what is wrong and what to do. */
export class StartUpError extends Error {}

/** How long the first connection to Redis may take before the server gives up. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/** Why listening failed, for the ports and addresses an operator configures. */
export function explainListenFailure(error: unknown, port: number, host: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new StartUpError(
      `port ${port} on ${host} is already in use (another Keyward or another program listens there): stop it, or set PORT to a free port`,
    );
  if (code === 'EACCES')
    return new StartUpError(
      `may not listen on port ${port} (EACCES): ports below 1024 need privileges; set PORT to 1024 or above (e.g. 8080) and put a reverse proxy in front if clients need port ${port}`,
    );
  if (code === 'EADDRNOTAVAIL')
    return new StartUpError(
      `HOST ${host} is not an address of this machine (EADDRNOTAVAIL): set HOST to one of its addresses, or 0.0.0.0 for all of them`,
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new StartUpError(
      `cannot find the address of HOST ${host} (${code}): set HOST to an address or a known name`,
    );
  return error;
}

/**
 * Fails at once when the server could not listen, before migrations and building the app take their seconds
 * (and before a database is migrated for a server that cannot serve). Listening later is checked again.
 */
export async function assertCanListen(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ port, host }, () => resolve());
    });
  } catch (error) {
    throw explainListenFailure(error, port, host);
  }
  await new Promise((done) => probe.close(done));
}

/** host:port of a Redis URL, never its password. */
function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || '127.0.0.1'}:${parsed.port || '6379'}`;
  } catch {
    return 'the address in REDIS_URL';
  }
}

/**
 * Connects the shared rate-limit counters before the server takes requests. An operator who set REDIS_URL
 * expects limits shared between processes: a Redis that cannot be reached at start is a mistake to fix now,
 * not a silent fallback. Later outages fail open (see rate-limits.ts) and the client reconnects on its own.
 */
export async function connectRedis(redis: Redis, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
      REDIS_CONNECT_TIMEOUT_MS,
    );
  });
  // The cause (ECONNREFUSED …) comes as an 'error' event at once, while connect() waits for the retries.
  let remember: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    remember = reject;
  });
  redis.on('error', remember);
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), failed, timeout]);
  } catch (error) {
    redis.disconnect();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const where = `Redis at ${redisAddress(url)} (REDIS_URL)`;
    const fix = 'start Redis or correct REDIS_URL, or unset REDIS_URL to count rate limits in each process';
    if (code === 'ECONNREFUSED') throw new StartUpError(`${where} refused the connection: ${fix}`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      throw new StartUpError(`${where}: cannot find the host (${code}): ${fix}`);
    if (code === 'TIMEOUT' || code === 'ETIMEDOUT')
      throw new StartUpError(`${where} did not answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s: ${fix}`);
    // NOAUTH, WRONGPASS and the like: Redis answered, and its words say what is wrong.
    const said = String((error as Error).message ?? error).split('\n')[0];
    throw new StartUpError(`${where} refused Keyward (${said}): ${fix}`);
  } finally {
    clearTimeout(timer);
    redis.off('error', remember);
  }
}

/**
 * How every command reports a failure: one line that says what is wrong and what to do. Failures Keyward
 * anticipates carry that line as their message; anything else is a bug or an unforeseen environment, shown
 * as its first line with a pointer to the stack trace, which only LOG_LEVEL=debug prints.
 */
export function failureReport(error: unknown, withStack: boolean): string {
  const isAnticipated =
    isDomainError(error) ||
    error instanceof ConfigError ||
    error instanceof DatabaseAccessError ||
    error instanceof StartUpError ||
    error instanceof SealedWithAnotherSecretError;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? '';
  let line = isDomainError(error) ? `${error.code}: ${firstLine}` : firstLine;
  if (!isAnticipated && !withStack) line += ' (LOG_LEVEL=debug shows where it failed)';
  const stack = withStack && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return `keyward: ${line}${stack}\n`;
}
