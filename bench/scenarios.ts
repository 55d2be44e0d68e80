/** What one measured scenario reports, and the names the targets find the scenarios by. */

export interface Scenario {
  name: string;
  /** sqlite or postgres; null for a baseline, which uses no database. */
  database: string | null;
  rps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  rssMb: number | null;
  /** The server's CPU time (all threads) per request, in microseconds: steadier than req/s on a shared machine. */
  cpuUsPerRequest: number | null;
  /** The same for the database's processes when they run on this machine (PostgreSQL); null otherwise. */
  databaseCpuUsPerRequest?: number | null;
  /** The name of the baseline measured in the same run that `ratio` divides by. */
  baseline: string | null;
  ratio: number | null;
}

const thousands = (n: number) => n.toLocaleString('en-US');

export const NAMES = {
  validateUnsigned: 'native validate, unsigned',
  validateSigned: 'native validate, signed (Ed25519)',
  validateCacheOff: 'native validate, unsigned, cache off',
  getKey: 'Cryptolens GetKey, SignMethod=1 (RSA-2048)',
  getDetails: 'LimeLM pkey.getDetails',
  activate: 'native activate, new machine',
  cryptolensActivate: 'Cryptolens Activate, new machine, SignMethod=1 (RSA-2048)',
  /** The same as validateUnsigned, in the same server, right before its database grows. */
  validateBeforeGrowth: (keys: number) =>
    `native validate, unsigned, ${thousands(keys)} keys, before growing`,
  /** After the growth, once each key has been validated (what a server that has run for a while answers). */
  validateGrown: (keys: number) => `native validate, unsigned, ${thousands(keys)} keys`,
  /** Right after the growth: nearly every key read for the first time since (the read cache cold). */
  validateGrownFirstReads: (keys: number) =>
    `native validate, unsigned, ${thousands(keys)} keys, first reads`,
  /** Scenarios through the latency proxy, PostgreSQL `ms` away each way. */
  away: (name: string, ms: number) => `${name}, ${ms} ms each way`,
  httpBaseline: (bytes: number) => `node:http, fixed ${bytes}-byte JSON`,
  ed25519Baseline: (bytes: number) => `node:http + Ed25519 signature, ${bytes}-byte JSON`,
  rsaBaseline: (bytes: number, threads: number) =>
    `node:http + RSA-2048 signature, ${bytes}-byte JSON, ${threads} pool thread${threads === 1 ? '' : 's'}`,
} as const;
