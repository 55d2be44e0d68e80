import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateTokenSecret, hashToken, SecretBox, tokenPrefix } from './secrets.js';

const SECRET = 'a-server-secret-of-at-least-32-characters';
const OTHER_SECRET = 'another-server-secret-of-32-characters!!';

/** Changes one base64 character of part `index` of a sealed value. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const part = parts[index] ?? '';
  parts[index] = (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(SECRET);
  const plaintext = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI…\n-----END PRIVATE KEY-----\n';

  it('opens what it sealed, also UTF-8 and empty text', () => {
    for (const text of [plaintext, 'grüße ✓', '']) expect(box.open(box.seal(text))).toBe(text);
  });

  it('seals as v1.<iv>.<ciphertext>.<tag> without the plaintext in it', () => {
    const sealed = box.seal(plaintext);
    const [version, iv, body, tag, ...rest] = sealed.split('.');
    expect([version, rest]).toEqual(['v1', []]);
    expect(Buffer.from(iv ?? '', 'base64')).toHaveLength(12);
    expect(Buffer.from(body ?? '', 'base64')).toHaveLength(Buffer.byteLength(plaintext));
    expect(Buffer.from(tag ?? '', 'base64')).toHaveLength(16);
    expect(sealed).not.toContain('PRIVATE KEY');
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal(plaintext)).not.toBe(box.seal(plaintext));
  });

  it('opens with another box made from the same secret', () => {
    expect(new SecretBox(SECRET).open(box.seal('same secret'))).toBe('same secret');
  });

  it('fails with another secret', () => {
    expect(() => new SecretBox(OTHER_SECRET).open(box.seal(plaintext))).toThrow(
      'Unsupported state or unable to authenticate data',
    );
  });

  it.each([
    ['the IV', 1],
    ['the ciphertext', 2],
    ['the tag', 3],
  ])('fails when %s was changed', (_part, index) => {
    expect(() => box.open(tamper(box.seal(plaintext), index))).toThrow(
      'Unsupported state or unable to authenticate data',
    );
  });

  it('fails when the tag was cut short (a short GCM tag is easy to forge)', () => {
    const [version, iv, body, tag = ''] = box.seal(plaintext).split('.');
    const short = Buffer.from(tag, 'base64').subarray(0, 4).toString('base64');
    expect(() => box.open([version, iv, body, short].join('.'))).toThrow(
      'Invalid authentication tag length: 4',
    );
  });

  it.each(['', 'v1', 'v1.a.b', 'v2.aaaa.bbbb.cccc', 'v1..bbbb.cccc', 'v1.aaaa.bbbb.'])(
    'refuses the unreadable value %j',
    (sealed) => {
      expect(() => box.open(sealed)).toThrow('unreadable sealed secret');
    },
  );

  it('needs a server secret of at least 32 characters', () => {
    expect(() => new SecretBox('x'.repeat(31))).toThrow('the server secret must have at least 32 characters');
    expect(() => new SecretBox('x'.repeat(32))).not.toThrow();
  });
});

describe('hashToken', () => {
  it('is the hex SHA-256 of the token, stable across calls', () => {
    expect(hashToken('kw_1a2b3c4d_secret')).toBe(
      createHash('sha256').update('kw_1a2b3c4d_secret').digest('hex'),
    );
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('abc')).toBe(hashToken('abc'));
  });

  it('differs for different tokens', () => {
    expect(hashToken('abc')).not.toBe(hashToken('abd'));
  });
});

describe('generateTokenSecret', () => {
  it('is kw_<8 hex prefix>_<32 base64url characters>, with the prefix returned', () => {
    const { token, prefix } = generateTokenSecret();
    expect(prefix).toMatch(/^[0-9a-f]{8}$/);
    expect(token).toMatch(/^kw_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    expect(token.startsWith(`kw_${prefix}_`)).toBe(true);
  });

  it('is unique', () => {
    const secrets = Array.from({ length: 200 }, () => generateTokenSecret());
    expect(new Set(secrets.map((s) => s.token)).size).toBe(200);
    expect(new Set(secrets.map((s) => s.prefix)).size).toBe(200);
  });
});

describe('tokenPrefix', () => {
  it.each([
    ['kw_1a2b3c4d_abcdefgh', 'kw_1a2b3c4d'],
    ['kw_1A2B3C4D_abcdefgh', 'kw_1…'],
    ['legacy-admin-token', 'lega…'],
    ['', '…'],
  ])('%j shows as %j', (token, shown) => {
    expect(tokenPrefix(token)).toBe(shown);
  });

  it('shows the prefix of a generated token', () => {
    const { token, prefix } = generateTokenSecret();
    expect(tokenPrefix(token)).toBe(`kw_${prefix}`);
  });
});
