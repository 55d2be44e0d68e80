import type { Clock } from '../clock.js';
import type { Store } from '../ports.js';
import type { SecretBox } from './secrets.js';
import {
  generateSigningKeyPair,
  rsaPublicKeyXml,
  SIGNING_ALGORITHMS,
  Signer,
  type SigningAlgorithm,
  type SigningKeyRecord,
} from './signing-keys.js';

export interface PublicSigningKey {
  id: number;
  algorithm: SigningAlgorithm;
  publicKeyPem: string;
  /** Only for RSA: the .NET `RSAKeyValue` form that Cryptolens SDKs embed. */
  publicKeyXml: string | null;
  createdAt: Date;
}

/** The signing keys cannot be opened with the secret the server was given. */
export class SealedWithAnotherSecretError extends Error {}

/** The server's signing keys: created on first start, private parts sealed at rest, public parts published. */
export class SigningKeyService {
  private signer: Signer | null = null;
  private publicKeys: PublicSigningKey[] = [];

  constructor(private readonly deps: { store: Store; clock: Clock; secretBox: SecretBox }) {}

  /** Creates missing keys and unseals all of them; fails loudly if KEYWARD_SECRET changed since they were sealed. */
  async load(): Promise<void> {
    const records: SigningKeyRecord[] = [];
    for (const algorithm of SIGNING_ALGORITHMS) {
      let record = await this.deps.store.signingKeys.find(algorithm);
      if (!record) {
        const pair = generateSigningKeyPair(algorithm);
        record = await this.deps.store.signingKeys.insertIfMissing({
          algorithm,
          publicKeyPem: pair.publicKeyPem,
          sealedPrivateKey: this.deps.secretBox.seal(pair.privateKeyPem),
          createdAt: this.deps.clock.now(),
        });
      }
      records.push(record);
    }
    const unseal = (algorithm: SigningAlgorithm) => {
      const record = records.find((r) => r.algorithm === algorithm) as SigningKeyRecord;
      try {
        return this.deps.secretBox.open(record.sealedPrivateKey);
      } catch {
        // Said in full because only the operator can fix it: a server that signs with new keys would strand
        // every app that embeds the published public key.
        throw new SealedWithAnotherSecretError(
          `cannot unseal the signing keys: they were sealed with another secret than ${this.deps.secretBox.source}; start with the secret the database was created with (its keyward.secret, restored from the same backup as the database, or its KEYWARD_SECRET)`,
        );
      }
    };
    this.signer = new Signer({ ed25519: unseal('ed25519'), 'rsa-2048': unseal('rsa-2048') });
    this.publicKeys = records.map((r) => ({
      id: r.id,
      algorithm: r.algorithm,
      publicKeyPem: r.publicKeyPem,
      publicKeyXml: r.algorithm === 'rsa-2048' ? rsaPublicKeyXml(r.publicKeyPem) : null,
      createdAt: r.createdAt,
    }));
  }

  /** Whether every stored key opens with the secret; creates nothing. A database without keys opens with any. */
  async canUnseal(): Promise<boolean> {
    for (const algorithm of SIGNING_ALGORITHMS) {
      const record = await this.deps.store.signingKeys.find(algorithm);
      if (!record) continue;
      try {
        this.deps.secretBox.open(record.sealedPrivateKey);
      } catch {
        return false;
      }
    }
    return true;
  }

  getSigner(): Signer {
    if (!this.signer) throw new Error('signing keys are not loaded');
    return this.signer;
  }

  listPublic(): PublicSigningKey[] {
    return this.publicKeys;
  }
}
