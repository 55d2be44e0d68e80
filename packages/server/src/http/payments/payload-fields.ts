import { MalformedPaymentEvent } from './malformed-payment-event.js';

/**
 * Readers for the fields Keyward takes from a verified event. A provider's SDK types say what the provider
 * documents, not what arrived: each reader checks the value it returns and names the field when it is not
 * there, so a body that parses but is not the documented event becomes MalformedPaymentEvent (a 400), never
 * a TypeError (a 500) or a wrong purchase.
 */

export function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedPaymentEvent(`${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new MalformedPaymentEvent(`${what} is not a list`);
  return value;
}

/** A non-empty string; providers' numeric ids (Lemon Squeezy) become their decimal text. */
export function id(value: unknown, what: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value !== '') return value;
  throw new MalformedPaymentEvent(`${what} is missing`);
}

export function optionalId(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : id(value, what);
}

/** An id given as a string or as the expanded object that carries it (Stripe's expandable fields). */
export function optionalIdOf(value: unknown, what: string): string | null {
  if (typeof value === 'object' && value !== null) return id((value as { id?: unknown }).id, `${what}.id`);
  return optionalId(value, what);
}

export function optionalText(value: unknown, what: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') throw new MalformedPaymentEvent(`${what} is not text`);
  return value;
}

export function quantity(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MalformedPaymentEvent(`${what} is not a quantity`);
  }
  return value;
}

export function epochSeconds(value: unknown, what: string): Date {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MalformedPaymentEvent(`${what} is not a time in seconds`);
  }
  return new Date(value * 1000);
}

export function optionalEpochSeconds(value: unknown, what: string): Date | null {
  return value === null || value === undefined ? null : epochSeconds(value, what);
}

export function isoTime(value: unknown, what: string): Date {
  const time = typeof value === 'string' ? new Date(value) : null;
  if (time === null || Number.isNaN(time.getTime())) throw new MalformedPaymentEvent(`${what} is not a time`);
  return time;
}

export function optionalIsoTime(value: unknown, what: string): Date | null {
  return value === null || value === undefined ? null : isoTime(value, what);
}

/** The latest of some times, or null when there are none (an event that names no period). */
export function latest(times: Array<Date | null>): Date | null {
  let found: Date | null = null;
  for (const time of times) if (time !== null && (found === null || time > found)) found = time;
  return found;
}

export function parseJson(rawBody: string, provider: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    throw new MalformedPaymentEvent(`the ${provider} event is not JSON`);
  }
}
