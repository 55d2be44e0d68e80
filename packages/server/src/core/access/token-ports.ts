/** API tokens: the tokens themselves and the limits a token carries besides its scopes and locks. */

export interface ApiTokenRecord {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  productIds: number[];
  licenseId: number | null;
  /** For a license-locked token, the products of that license, read when the token authenticates. */
  licenseProductIds?: number[];
  ipAllowlist: string[];
  bindToFirstIp: boolean;
  boundIp: string | null;
  /** `env` for the token set by KEYWARD_ADMIN_TOKEN, `bootstrap` for the generated first one. */
  source: 'api' | 'env' | 'bootstrap';
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Dialect methods (Cryptolens `key/activate`, lower case) the token may call; absent = every method. */
  methodLock?: string[] | null;
  /** Cryptolens' feature lock: a number each Cryptolens method reads its own way; absent = 0. */
  featureLock?: number | null;
  /** May exchange itself for a token locked to one license (Cryptolens key lock -1, auth/KeyLock). */
  canIssueLicenseTokens?: boolean;
  /** The token that issued this one (auth/KeyLock); revoking the issuer revokes it too. */
  issuedByTokenId?: number | null;
  /** At most this many client addresses may use the token (LimeLM's API key device lock); absent = any. */
  maxClientAddresses?: number | null;
  /** Seats the token may grant to licenses it creates or raises, in total (a reseller's plan); absent = any. */
  activationAllowance?: number | null;
  /** Seats granted so far against the allowance. */
  activationsGranted?: number;
  /** A dormant token still reads but may not change anything. */
  isDormant?: boolean;
}
export interface TokenRepository {
  insert(input: Omit<ApiTokenRecord, 'id'> & { secretHash: string }): Promise<ApiTokenRecord>;
  findByHash(secretHash: string): Promise<(ApiTokenRecord & { secretHash: string }) | null>;
  findById(id: number): Promise<ApiTokenRecord | null>;
  list(input: { includeRevoked: boolean }): Promise<ApiTokenRecord[]>;
  revoke(id: number, at: Date): Promise<boolean>;
  /** Revokes every live token that the given token issued. */
  revokeIssuedBy(issuerId: number, at: Date): Promise<void>;
  /** Binds a bind-to-first-IP token; false when another request bound it first. */
  bindIp(id: number, ip: string): Promise<boolean>;
  countActive(): Promise<number>;
}

export interface TokenLimitChanges {
  maxClientAddresses?: number | null;
  activationAllowance?: number | null;
  isDormant?: boolean;
}

export interface TokenLimitRepository {
  /** Locks the token's row until the transaction ends (PostgreSQL; SQLite write transactions serialize). */
  lock(tokenId: number): Promise<void>;
  hasAddress(tokenId: number, ip: string): Promise<boolean>;
  countAddresses(tokenId: number): Promise<number>;
  addAddress(tokenId: number, ip: string, at: Date): Promise<void>;
  /** Forgets every address that used the token; returns how many there were. */
  clearAddresses(tokenId: number): Promise<number>;
  setLimits(tokenId: number, changes: TokenLimitChanges): Promise<void>;
  /**
   * Adds `count` to the activations the token granted in one conditional statement, so concurrent grants
   * never pass the allowance. False (and nothing changed) when they would; true for tokens without one.
   */
  grantActivations(tokenId: number, count: number): Promise<boolean>;
}

/** The repositories above, as `Repositories` holds them. */
export interface TokenRepositories {
  tokens: TokenRepository;
  tokenLimits: TokenLimitRepository;
}
