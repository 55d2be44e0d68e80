import type { LightMyRequestResponse } from 'fastify';
import type { Json } from './native-calls.js';
import type { TestApp } from './test-app.js';

/**
 * Every surface of the server as the access matrix (access-matrix.ts) sees it: how a request carries a
 * token's secret, and how its answer reads. Each surface answers in its own format; `read` turns that into
 * one verdict, and into what the caller learns from it, so answers of different requests can be compared.
 */
export type SurfaceName = 'native' | 'cryptolens' | 'limelm' | 'authtool';

export type Verdict = 'allowed' | 'refused' | 'not found' | 'other';

export interface Reading {
  verdict: Verdict;
  /** What a caller learns from the answer: status, code and message; ids are masked, they were sent. */
  learned: string;
}

const masked = (text: unknown) => String(text ?? '').replace(/\d+/g, '#');

/** Cryptolens' refusals, and its "there is no such thing" answers (the vendor's words, messages.ts). */
const CRYPTOLENS_REFUSALS = [
  'Access denied.',
  'Unable to authenticate.',
  "Access denied. Please add 'AddCustomer' permission.",
  'Not enough permission and/or key not found.',
];
const CRYPTOLENS_MISSING = [
  'Could not find the key.',
  'Could not find the product.',
  'Could not find the customer.',
  'Customer could not be found.',
  'Could not find the data object.',
  'Either the machine code was never activated or key activation feature was never set up.',
];

/** LimeLM's codes: 100 a key that may not do this, 118 dormant, 143 no trial permission; the rest missing. */
const LIMELM_REFUSALS = [100, 118, 143, 164];
const LIMELM_MISSING = [1, 109, 127, 128, 135];

function byStatus(status: number): Verdict {
  if (status < 300) return 'allowed';
  if (status === 401 || status === 403) return 'refused';
  if (status === 404) return 'not found';
  return 'other';
}

export const SURFACES: Record<SurfaceName, { read(answer: LightMyRequestResponse): Reading }> = {
  native: {
    read: (answer) => {
      const error = answer.statusCode >= 300 ? (answer.json() as Json).error : undefined;
      return {
        verdict: byStatus(answer.statusCode),
        learned: `${answer.statusCode} ${error?.code ?? ''} ${masked(error?.message)}`,
      };
    },
  },
  cryptolens: {
    read: (answer) => {
      const body = answer.json() as Json;
      const message = String(body.message ?? '');
      const verdict: Verdict =
        answer.statusCode === 200 && body.result === 0
          ? 'allowed'
          : CRYPTOLENS_REFUSALS.includes(message)
            ? 'refused'
            : CRYPTOLENS_MISSING.includes(message)
              ? 'not found'
              : 'other';
      return { verdict, learned: `${answer.statusCode} ${body.result} ${masked(message)}` };
    },
  },
  limelm: {
    read: (answer) => {
      const body = answer.json() as Json;
      const code = Number(body.code);
      const verdict: Verdict =
        body.stat === 'ok'
          ? 'allowed'
          : LIMELM_REFUSALS.includes(code)
            ? 'refused'
            : LIMELM_MISSING.includes(code)
              ? 'not found'
              : 'other';
      return { verdict, learned: `${body.stat} ${body.code ?? ''} ${masked(body.message)}` };
    },
  },
  authtool: {
    read: (answer) => {
      const body = answer.json() as Json;
      return {
        verdict: byStatus(answer.statusCode),
        learned: `${answer.statusCode} ${masked(answer.statusCode >= 300 ? body.message : '')}`,
      };
    },
  },
};

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A native API request with `Authorization: Bearer <secret>`. */
export function sendNative(
  t: TestApp,
  secret: string,
  method: Method,
  url: string,
  payload?: object,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${secret}` },
    ...(payload ? { payload } : {}),
  });
}

/** A Cryptolens Web API 3 method, posted as a form with the token in it, as the SDKs do. */
export function sendCryptolens(
  t: TestApp,
  secret: string,
  method: string,
  params: Record<string, string | number | boolean>,
): Promise<LightMyRequestResponse> {
  const form = new URLSearchParams({ token: secret });
  for (const [name, value] of Object.entries(params)) form.set(name, String(value));
  return t.app.inject({
    method: 'POST',
    url: `/cryptolens/api/${method}`,
    payload: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** A LimeLM method with the token as `api_key`, answered in JSON. */
export function sendLimeLm(
  t: TestApp,
  secret: string,
  method: string,
  params: Record<string, string | number | boolean>,
): Promise<LightMyRequestResponse> {
  const form = new URLSearchParams({ method, api_key: secret, format: 'json', nojsoncallback: '1' });
  for (const [name, value] of Object.entries(params)) form.set(name, String(value));
  return t.app.inject({
    method: 'POST',
    url: '/api/rest/',
    payload: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** An AuthTool endpoint with the token as `X-API-Key`. */
export function sendAuthTool(
  t: TestApp,
  secret: string,
  method: Method,
  path: string,
  payload?: object,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url: `/public/v1${path}`,
    headers: { 'x-api-key': secret },
    ...(payload ? { payload } : {}),
  });
}
