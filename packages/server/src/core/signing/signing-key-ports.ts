import type { SigningAlgorithm, SigningKeyRecord } from './signing-keys.js';

/** The server's signing keys, one per algorithm. */

export interface SigningKeyRepository {
  list(): Promise<SigningKeyRecord[]>;
  /** Inserts unless a key of this algorithm exists; returns the one that is stored. */
  insertIfMissing(input: Omit<SigningKeyRecord, 'id'>): Promise<SigningKeyRecord>;
  find(algorithm: SigningAlgorithm): Promise<SigningKeyRecord | null>;
}

/** The repository above, as `Repositories` holds it. */
export interface SigningKeyRepositories {
  signingKeys: SigningKeyRepository;
}
