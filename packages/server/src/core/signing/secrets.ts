import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** At-rest encryption for private keys: AES-256-GCM under a key derived from the server secret. */
export class SecretBox {
  private readonly key: Buffer;

  /** `source` says where the secret came from (KEYWARD_SECRET, a file), for the operator's messages. */
  constructor(
    serverSecret: string,
    readonly source = 'the server secret',
  ) {
    if (serverSecret.length < 32) throw new Error('the server secret must have at least 32 characters');
    this.key = Buffer.from(hkdfSync('sha256', serverSecret, 'keyward', 'private-keys-at-rest', 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64'),
      body.toString('base64'),
      cipher.getAuthTag().toString('base64'),
    ].join('.');
  }

  open(sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    // An empty body is what sealing '' gives.
    if (version !== 'v1' || !iv || body === undefined || !tag) throw new Error('unreadable sealed secret');
    // Without a fixed tag length GCM accepts a tag cut to 4 bytes, which is easy to forge.
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'), {
      authTagLength: 16,
    });
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** API tokens are high-entropy secrets, so one SHA-256 is enough to store them safely and find them fast. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateTokenSecret(): { token: string; prefix: string } {
  const prefix = randomBytes(4).toString('hex');
  return { prefix, token: `kw_${prefix}_${randomBytes(24).toString('base64url')}` };
}

/** The visible part of a token, for lists and logs: `kw_1a2b3c4d` for generated tokens. */
export function tokenPrefix(token: string): string {
  const match = /^kw_([0-9a-f]{8})_/.exec(token);
  return match ? `kw_${match[1]}` : `${token.slice(0, 4)}…`;
}
