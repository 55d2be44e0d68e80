import type { FastifyReply } from 'fastify';
import type { LimeLmError } from './errors.js';
import { jsonFailure, jsonSuccess } from './render/json.js';
import type { Child } from './render/node.js';
import { xmlFailure, xmlSuccess } from './render/xml.js';
import type { FormParams } from './transport/form-params.js';

/** `format=rest` (XML, the default; anything unknown too) or `format=json`, JSONP unless `nojsoncallback=1`. */
export type ResponseFormat = { kind: 'xml' } | { kind: 'json'; isJsonp: boolean };

export function formatOf(params: FormParams | null): ResponseFormat {
  const value = (name: string) =>
    params && Object.hasOwn(params.scalars, name) ? params.scalars[name]?.trim().toLowerCase() : undefined;
  if (value('format') !== 'json') return { kind: 'xml' };
  const callback = value('nojsoncallback');
  return { kind: 'json', isJsonp: !(callback === '1' || callback === 'true') };
}

function send(reply: FastifyReply, format: ResponseFormat, xml: () => string, json: () => object) {
  reply.header('cache-control', 'no-store');
  if (format.kind === 'xml') return reply.type('text/xml; charset=utf-8').send(xml());
  const text = JSON.stringify(json());
  // The vendor sends JSONP as application/json too (recorded responses).
  return reply.type('application/json; charset=utf-8').send(format.isJsonp ? `jsonLimeLMApi(${text})` : text);
}

export function sendSuccess(reply: FastifyReply, format: ResponseFormat, payload: Child[]) {
  return send(
    reply,
    format,
    () => xmlSuccess(payload),
    () => jsonSuccess(payload),
  );
}

/** Failures are HTTP 200 like the vendor's, except internal errors, which keep their 500 for monitoring. */
export function sendFailure(reply: FastifyReply, format: ResponseFormat, error: LimeLmError, status = 200) {
  reply.status(status);
  return send(
    reply,
    format,
    () => xmlFailure(error.code, error.message),
    () => jsonFailure(error.code, error.message),
  );
}
