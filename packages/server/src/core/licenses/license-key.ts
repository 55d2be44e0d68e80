import { randomInt } from 'node:crypto';

/** No 0/O or 1/I, so keys survive being read aloud or typed from paper. */
const KEY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const DEFAULT_KEY_FORMAT = 'XXXXX-XXXXX-XXXXX-XXXXX';

/** Fills each `X` of the format with a random character; at least 16 `X` keep keys unguessable (80 bits). */
export function generateLicenseKey(format: string = DEFAULT_KEY_FORMAT): string {
  let key = '';
  for (const char of format) key += char === 'X' ? KEY_ALPHABET[randomInt(KEY_ALPHABET.length)] : char;
  return key;
}

export function randomSlotCount(format: string): number {
  return [...format].filter((c) => c === 'X').length;
}
