import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import {
  type DestinationRules,
  destinationVerdict,
  parseIpAddress,
} from '../core/operations/network-destinations.js';

/**
 * The only way the server makes HTTP requests of its own (webhook deliveries, imports). Every request goes to
 * an address the destination rules allow, checked on the address actually connected to: a literal address
 * before connecting, a name on each address it resolves to, inside the socket's own lookup, so a name that
 * resolves to a public address when saved and to an internal one later (DNS rebinding) is refused. Redirects
 * are never followed; the caller sees the 3xx.
 */

export type OutboundFailure = 'FORBIDDEN_DESTINATION' | 'TIMEOUT' | 'ABORTED' | 'NETWORK' | 'INVALID_URL';

export class OutboundError extends Error {
  override readonly name = 'OutboundError';
  constructor(
    readonly failure: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface OutboundRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange, connecting to the last byte read, gets this long. */
  timeoutMs: number;
  /** Reads at most this much of the answer; the rest is dropped and the connection closed. */
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  statusCode: number;
  contentType: string | null;
  body: string;
  /** The answer was longer than `maxResponseBytes`. */
  isTruncated: boolean;
}

export interface OutboundHttp {
  request(url: string | URL, request: OutboundRequest): Promise<OutboundResponse>;
}

/** Resolves a name to all its addresses, as `dns.lookup` with `all: true` does (replaceable in tests). */
export type Resolver = (hostname: string, family: number) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname, family) =>
  new Promise((done, fail) =>
    dnsLookup(hostname, { all: true, family } as LookupAllOptions, (error, addresses) =>
      error ? fail(error) : done(addresses),
    ),
  );

/** A socket lookup that hands the connection only addresses the rules allow. */
function guardedLookup(rules: DestinationRules, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options.family === 4 || options.family === 6 ? options.family : 0).then(
      (addresses) => {
        const refusals: string[] = [];
        const allowed = addresses.filter((a) => {
          const verdict = destinationVerdict(a.address, rules);
          if (!verdict.allowed) refusals.push(verdict.reason);
          return verdict.allowed;
        });
        const first = allowed[0];
        if (!first) {
          const error = Object.assign(
            new OutboundError('FORBIDDEN_DESTINATION', `${hostname} resolves to ${refusals.join(', ')}`),
            { code: 'FORBIDDEN_DESTINATION' },
          );
          callback(error, '', 0);
        } else if (options.all) callback(null, allowed);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** `rules` decide where requests may go; `resolve` replaces the system resolver (tests). */
export function createOutboundHttp(
  rules: DestinationRules,
  options: { resolve?: Resolver } = {},
): OutboundHttp {
  const lookup = guardedLookup(rules, options.resolve ?? systemResolver);
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return {
    request(target, request) {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return Promise.reject(new OutboundError('INVALID_URL', 'not an absolute URL'));
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return Promise.reject(new OutboundError('INVALID_URL', `${url.protocol} is not http or https`));
      // A literal address is connected to without a lookup: it is checked here instead.
      const host = stripBrackets(url.hostname);
      if (parseIpAddress(host)) {
        const verdict = destinationVerdict(host, rules);
        if (!verdict.allowed)
          return Promise.reject(new OutboundError('FORBIDDEN_DESTINATION', verdict.reason));
      }
      return send(url, request, lookup, agents[url.protocol]);
    },
  };
}

function send(
  url: URL,
  request: OutboundRequest,
  lookup: LookupFunction,
  agent: http.Agent,
): Promise<OutboundResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const done = (response: OutboundResponse) => {
      if (!settled) resolve(response);
      settled = true;
    };
    const fail = (error: OutboundError) => {
      if (!settled) reject(error);
      settled = true;
    };
    const failWith = (error: unknown) => {
      if (request.signal?.aborted) fail(new OutboundError('ABORTED', 'the request was stopped'));
      else if (timeout.aborted)
        fail(new OutboundError('TIMEOUT', `no answer within ${request.timeoutMs} ms`));
      else if (error instanceof OutboundError) fail(error);
      else {
        const code = (error as NodeJS.ErrnoException).code;
        fail(new OutboundError('NETWORK', code ?? (error as Error).message));
      }
    };
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const outgoing = client.request(
      url,
      {
        method: request.method,
        headers: {
          ...request.headers,
          ...(body === undefined ? {} : { 'content-length': String(body.byteLength) }),
        },
        agent,
        lookup,
        signal,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let isTruncated = false;
        const finish = () =>
          done({
            statusCode: incoming.statusCode ?? 0,
            contentType: incoming.headers['content-type'] ?? null,
            body: Buffer.concat(chunks).subarray(0, request.maxResponseBytes).toString('utf8'),
            isTruncated,
          });
        incoming.on('data', (chunk: Buffer) => {
          if (isTruncated) return;
          chunks.push(chunk);
          size += chunk.byteLength;
          if (size > request.maxResponseBytes) {
            isTruncated = true;
            // Enough read: the rest is not waited for, and the connection is not reused.
            incoming.destroy();
            finish();
          }
        });
        incoming.on('end', finish);
        incoming.on('error', failWith);
        incoming.on('close', () => failWith(new Error('the connection closed mid-answer')));
      },
    );
    outgoing.on('error', failWith);
    outgoing.end(body);
  });
}
