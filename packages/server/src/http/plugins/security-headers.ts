import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** Whether the request reached the server over HTTPS: its own TLS, or (TRUST_PROXY) X-Forwarded-Proto. */
export type Transport = 'https' | 'http';

/**
 * Over plain HTTP three of Helmet's defaults break or mean nothing: `upgrade-insecure-requests` makes the
 * browser fetch the dashboard's scripts and styles over https, which a server reached as http://<address>:8080
 * does not speak (a blank page everywhere but on localhost, which browsers exempt); browsers ignore HSTS
 * received over HTTP; and they ignore Cross-Origin-Opener-Policy from an origin that is not potentially
 * trustworthy, with an error in the console. All three come only with answers to HTTPS requests.
 */
const OPTIONS: Record<Transport, HelmetOptions> = {
  https: {},
  http: {
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    strictTransportSecurity: false,
    crossOriginOpenerPolicy: false,
  },
};

/**
 * Helmet's headers (content security policy, HSTS, nosniff, frame and referrer policies, …) for one transport,
 * worked out once. Helmet's middleware re-parses its policy on every request, which showed in the validate
 * path's profile; apart from the transport nothing in these headers depends on the request, so every answer
 * gets one of two constant sets.
 */
export function securityHeaders(transport: Transport = 'https'): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(OPTIONS[transport])(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) throw error;
    },
  );
  return headers;
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  const https = securityHeaders('https');
  const http = securityHeaders('http');
  app.addHook('onRequest', (request, reply, done) => {
    // With TRUST_PROXY, Fastify takes the protocol from the proxy's X-Forwarded-Proto.
    reply.headers(request.protocol === 'https' ? https : http);
    done();
  });
}
