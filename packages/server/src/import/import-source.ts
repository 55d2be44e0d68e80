import type { Actor } from '../core/access/actor.js';
import type { ImportCounts, ImportJob } from '../core/imports/import-ports.js';
import type { ImportOutcome } from '../core/imports/imported-records.js';
import type { Keyward } from '../core/keyward.js';
import { OutboundError, type OutboundHttp } from '../http/outbound-http.js';

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
  /** The server's outbound HTTP: reaches only the destinations the operator allows. */
  http: OutboundHttp;
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

/** The most of one answer an import reads; vendors page their lists far below this. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/**
 * A vendor's own words (an error message) as a job's error or a warning shows them: one line of printable
 * text, cut short. Whatever else the answer holds is not repeated.
 */
export function remoteText(value: unknown, maxChars = 120): string | null {
  const raw = text(value);
  if (raw === null) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  const line = raw.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
}

/**
 * A JSON request through the server's outbound HTTP with a timeout. A failure is a SourceError naming the
 * origin and `what` was asked (never the answer's body, nor a path that may hold a key).
 */
export async function fetchJson(
  http: OutboundHttp,
  url: URL,
  init: {
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
    /** Names the call in errors; default: the URL's path. */
    what?: string;
  } = {},
): Promise<unknown> {
  const where = `${url.origin} ${init.what ?? url.pathname}`;
  let answer: Awaited<ReturnType<OutboundHttp['request']>>;
  try {
    answer = await http.request(url, {
      method: init.method ?? 'GET',
      ...(init.headers ? { headers: init.headers } : {}),
      ...(init.body === undefined ? {} : { body: init.body }),
      timeoutMs: init.timeoutMs ?? 30_000,
      maxResponseBytes: MAX_ANSWER_BYTES,
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (error) {
    if (error instanceof OutboundError && error.failure === 'ABORTED')
      throw new SourceError('the import was stopped');
    if (error instanceof OutboundError && error.failure === 'TIMEOUT')
      throw new SourceError(`${where}: no answer in time`);
    if (error instanceof OutboundError && error.failure === 'FORBIDDEN_DESTINATION')
      throw new SourceError(`${where}: refused: ${error.message}`);
    throw new SourceError(`${where}: ${(error as Error).message}`);
  }
  if (answer.isTruncated)
    throw new SourceError(`${where}: the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MB`);
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    const redirect =
      answer.statusCode >= 300 && answer.statusCode < 400 ? ' (redirects are not followed)' : '';
    throw new SourceError(`${where} answered HTTP ${answer.statusCode}, not JSON${redirect}`);
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
