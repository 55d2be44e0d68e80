import type { FastifyInstance } from 'fastify';
import qs from 'qs';
import {
  assertParameterCount,
  checkJsonShape,
  MAX_DIALECT_JSON_VALUES,
  MAX_PARAMETERS,
} from '../../plugins/request-limits.js';
import { AuthToolFailure } from './failures.js';

/** Keys that would reach an object's prototype if the body were ever merged into another object. */
const dropPrototypeKeys = (key: string, value: unknown) =>
  key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value;

/**
 * JSON as AuthTool documents it. An empty body is no body: the vendor's PHP demos send
 * `Content-Type: application/json` with no body on PATCH reset and DELETE. The shared limits apply before
 * parsing (the reviver recurses once per level, so the depth bound also keeps it off the stack's end).
 */
function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  checkJsonShape(text, MAX_DIALECT_JSON_VALUES);
  try {
    return JSON.parse(text, dropPrototypeKeys);
  } catch {
    throw new AuthToolFailure(400, 'Bad request', 'the request body is not valid JSON');
  }
}

/**
 * Body parsers of the dialect, replacing Fastify's: JSON (also when sent without a content type or as a
 * form, as `curl -d '{…}'` does) and HTML forms (`packageIds[]=1&packageIds[]=2`).
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, parseJson(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = body as string;
      try {
        if (text.trimStart().startsWith('{')) return done(null, parseJson(text));
        // Counted first, so that a form over the shared limit is refused rather than cut short by qs.
        assertParameterCount(text);
        done(
          null,
          qs.parse(text, {
            depth: 2,
            arrayLimit: 200,
            parameterLimit: MAX_PARAMETERS,
            allowPrototypes: false,
          }),
        );
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (/^\s*[[{]/.test(text)) {
      try {
        return done(null, parseJson(text));
      } catch (error) {
        return done(error as Error, undefined);
      }
    }
    done(new AuthToolFailure(415, 'Send the request body as JSON'), undefined);
  });
}
