import type { Actor } from '../core/actor.js';
import type { ImportCounts, ImportJob } from '../core/import-ports.js';
import type { Keyward } from '../core/keyward.js';
import type { ImportOutcome } from '../core/services/import-service.js';

/** What a source gets while it runs: the domain, where to continue, and how to report. */
export interface ImportContext {
  keyward: Keyward;
  actor: Actor;
  /** Links are kept per source, so two accounts of one vendor stay apart. */
  source: string;
  job: ImportJob;
  credential: string | null;
  options: Record<string, unknown>;
  /** Where an interrupted run stopped; null on a fresh run. */
  checkpoint: Record<string, unknown> | null;
  signal: AbortSignal;
  count(entity: string, outcome: ImportOutcome, n?: number): void;
  addCounts(counts: ImportCounts): void;
  /** Adds to the known total of units of work (licenses, mostly). */
  addTotal(n: number): void;
  /** Saves the checkpoint and progress: a run interrupted after this continues from here. */
  save(checkpoint: Record<string, unknown>, done?: number): Promise<void>;
  warn(message: string): void;
}

export interface ImportSource {
  run(ctx: ImportContext): Promise<void>;
}

/** A failure of the source (unreachable, refused credential, unreadable answer): the job fails with it. */
export class SourceError extends Error {}

/** A JSON request with a timeout; any non-JSON or failed answer is a SourceError naming the URL's path. */
export async function fetchJson(
  url: URL,
  init: RequestInit & { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<unknown> {
  const timeout = AbortSignal.timeout(init.timeoutMs ?? 30_000);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal });
  } catch (error) {
    if (init.signal?.aborted) throw new SourceError('the import was stopped');
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new SourceError(
      `${url.origin}${url.pathname}: ${timeout.aborted ? 'no answer in time' : (cause ?? (error as Error).message)}`,
    );
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SourceError(
      `${url.origin}${url.pathname} answered ${response.status} with no JSON: ${text.slice(0, 200)}`,
    );
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

export const text = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

/** A vendor's date: ISO with or without zone (read as UTC), or `YYYY-MM-DD hh:mm:ss`. */
export function vendorDate(value: unknown): Date | null {
  const raw = text(value)?.trim();
  if (!raw) return null;
  const normalized = raw.includes('T') || raw.includes(' ') ? raw.replace(' ', 'T') : `${raw}T00:00:00`;
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(normalized) ? normalized : `${normalized}Z`;
  const date = new Date(withZone);
  return Number.isNaN(date.getTime()) ? null : date;
}
