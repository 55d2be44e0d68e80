import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server answering the few Stripe API reads the Stripe payment adapter makes, with the bodies
 * Stripe's API returns (JSON files), so the adapter's real SDK client makes real requests. It answers 401 with
 * Stripe's error body unless the request carries `key`, and 404 for any path it was not given.
 */

export interface StripeApiServer {
  /** Give this to `createStripeAdapter({ apiBase })`. */
  url: URL;
  /** Each request as `GET /v1/…?query`, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startStripeApiServer(
  key: string,
  /** Path (without the query) → the JSON file to answer with. */
  answers: Record<string, string>,
): Promise<StripeApiServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const path = new URL(request.url ?? '/', 'http://stripe.invalid').pathname;
    const file = answers[path];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_${requests.length}`,
      });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${key}`) {
      send(401, {
        error: { message: 'Invalid API Key provided: rk_test_****', type: 'invalid_request_error' },
      });
    } else if (request.method !== 'GET' || file === undefined) {
      send(404, {
        error: {
          message: `Unrecognized request URL (${request.method}: ${path}).`,
          type: 'invalid_request_error',
        },
      });
    } else {
      send(200, JSON.parse(readFileSync(file, 'utf8')));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
