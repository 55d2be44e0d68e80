import { StoreUnavailableError } from '../core/store-unavailable.js';
import { isStalePreparedStatement } from './postgres/pg-named-statements.js';

/** SQLite result codes (extended ones start with them) and PostgreSQL SQLSTATEs of a storage failure. */
const UNAVAILABLE_SQLITE = [
  'SQLITE_BUSY',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
];
const UNAVAILABLE_POSTGRES = ['57P01', '57P02', '57P03', '53100', '53200', '53300', '25006'];
/** node-postgres reports a connection lost mid-query or a pool that cannot connect without a code. */
const LOST_CONNECTION =
  /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect)/;

/**
 * Failures of the database rather than of the request: connection failures (PostgreSQL restarting or
 * unreachable), a busy SQLite file, a full disk, a read-only database file.
 */
function isUnavailable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE')
      return true;
    if (code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES') return true;
    if (UNAVAILABLE_SQLITE.some((prefix) => code.startsWith(prefix))) return true;
    if (UNAVAILABLE_POSTGRES.includes(code) || code.startsWith('08')) return true;
  }
  // A transaction that met a prepared statement gone stale under a schema change succeeds when retried.
  if (isStalePreparedStatement(error)) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && LOST_CONNECTION.test(message);
}

/** What the operator and the caller should read for a storage failure. */
function unavailableMessage(error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code.startsWith('SQLITE_FULL') || code === '53100' || code === 'ENOSPC')
    return 'the database cannot be written: its disk is full';
  if (code.startsWith('SQLITE_READONLY') || code === '25006' || code === 'EROFS')
    return 'the database cannot be written: it is read-only';
  if (code.startsWith('SQLITE_IOERR'))
    return 'the database cannot be written: the disk refused the write (full, or over a file size limit)';
  return 'the database is unavailable; try again shortly';
}

/** A driver's failure that is the database's rather than the request's, as the domain's word for it. */
export function asStoreUnavailable(error: unknown): StoreUnavailableError | null {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return null;
  return new StoreUnavailableError(unavailableMessage(error), { cause: error });
}
