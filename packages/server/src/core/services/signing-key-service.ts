import type { Clock } from '../clock.js';
import type { Store } from '../ports.js';
import type { SecretBox } from '../secrets.js';
import {
  generateSigningKeyPair,
  rsaPublicKeyXml,
  SIGNING_ALGORITHMS,
  Signer,
  type SigningAlgorithm,
  type SigningKeyRecord,
} from '../signing-keys.js';

export interface PublicSigningKey {
  id: number;
  algorithm: SigningAlgorithm;
  publicKeyPem: string;
  /** Only for RSA: the .NET `RSAKeyValue` form that Cryptolens SDKs embed. */
  publicKeyXml: string | null;
  createdAt: Date;
}

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
        throw new Error(
          'cannot unseal the signing keys: KEYWARD_SECRET differs from the one they were sealed with',
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

  getSigner(): Signer {
    if (!this.signer) throw new Error('signing keys are not loaded');
    return this.signer;
  }

  listPublic(): PublicSigningKey[] {
    return this.publicKeys;
  }
}
