import { describe, expect, it } from 'vitest';
import { serializerFor } from '../../plugins/response-serializer.js';
import { codesOf, errorEnvelope, errorResponses, withErrorResponses } from './error-responses.js';

describe('error responses', () => {
  it('puts each code under the status the error handler answers it with', () => {
    const responses = errorResponses('NOT_FOUND', 'LICENSE_NOT_FOUND', 'CONFLICT', 'LICENSE_REVOKED');
    expect(Object.keys(responses).sort()).toEqual(['404', '409', '422']);
    expect(codesOf(responses[404])).toEqual(['NOT_FOUND', 'LICENSE_NOT_FOUND']);
    expect(codesOf(responses[422])).toEqual(['LICENSE_REVOKED']);
  });

  it('refuses an envelope of codes answered with different statuses, or of none', () => {
    expect(() => errorEnvelope(['NOT_FOUND', 'CONFLICT'])).toThrow(/CONFLICT are not answered with 404/);
    expect(() => errorEnvelope([])).toThrow(/at least one code/);
  });

  it('shares one schema per set of codes, in catalog order whatever order they are named in', () => {
    expect(errorEnvelope(['LICENSE_NOT_FOUND', 'NOT_FOUND'])).toBe(
      errorEnvelope(['NOT_FOUND', 'LICENSE_NOT_FOUND']),
    );
  });

  it('adds shared refusals to the ones a route declares, keeping both', () => {
    const merged = withErrorResponses({ 200: { type: 'null' }, ...errorResponses('CONFLICT') }, [
      'IDEMPOTENCY_CONFLICT',
      'RATE_LIMITED',
    ]);
    expect(codesOf(merged[409])).toEqual(['CONFLICT', 'IDEMPOTENCY_CONFLICT']);
    expect(codesOf(merged[429])).toEqual(['RATE_LIMITED']);
    expect(merged[200]).toEqual({ type: 'null' });
    expect(() => withErrorResponses({ 409: { type: 'object' } }, ['IDEMPOTENCY_CONFLICT'])).toThrow(
      /response 409 is not an error envelope/,
    );
  });

  it('writes the envelope exactly as the error handler builds it', () => {
    const serialize = serializerFor(errorEnvelope(['RATE_LIMITED']));
    const body = {
      error: {
        code: 'RATE_LIMITED',
        message: 'rate limit of 2 requests a minute reached; retry in 5 seconds',
        details: { retryAfterSeconds: 5, nested: { list: [1, 'two', null] } },
        requestId: 'r-1',
      },
    };
    expect(serialize(body)).toBe(JSON.stringify(body));
    const { details: _details, ...withoutDetails } = body.error;
    expect(serialize({ error: withoutDetails })).toBe(JSON.stringify({ error: withoutDetails }));
  });
});
