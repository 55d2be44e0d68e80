import { BookkeepingQueue } from './bookkeeping-queue.js';
import type { Clock } from './clock.js';
import type { Store } from './ports.js';
import type { SecretBox } from './secrets.js';
import { CatalogService } from './services/catalog-service.js';
import { CustomerService } from './services/customer-service.js';
import { DataObjectService } from './services/data-object-service.js';
import { LicenseService } from './services/license-service.js';
import { MachineService } from './services/machine-service.js';
import { SigningKeyService } from './services/signing-key-service.js';
import { TokenService } from './services/token-service.js';
import { ValidationService } from './services/validation-service.js';

/** The domain, assembled: every surface (native API, dialects, CLI) works through this one object. */
export interface Keyward {
  store: Store;
  clock: Clock;
  catalog: CatalogService;
  licenses: LicenseService;
  machines: MachineService;
  validation: ValidationService;
  customers: CustomerService;
  dataObjects: DataObjectService;
  tokens: TokenService;
  signingKeys: SigningKeyService;
  bookkeeping: BookkeepingQueue;
}

export function createKeyward(deps: {
  store: Store;
  clock: Clock;
  secretBox: SecretBox;
  onBackgroundError: (error: unknown) => void;
  bookkeepingIntervalMs?: number;
}): Keyward {
  const { store, clock } = deps;
  const bookkeeping = new BookkeepingQueue(store, {
    intervalMs: deps.bookkeepingIntervalMs ?? 250,
    maxBatch: 500,
    onError: deps.onBackgroundError,
  });
  return {
    store,
    clock,
    bookkeeping,
    catalog: new CatalogService({ store, clock }),
    licenses: new LicenseService({ store, clock }),
    machines: new MachineService({ store, clock, bookkeeping }),
    validation: new ValidationService({ store, clock, bookkeeping }),
    customers: new CustomerService({ store, clock }),
    dataObjects: new DataObjectService({ store, clock }),
    tokens: new TokenService({ store, clock }),
    signingKeys: new SigningKeyService({ store, clock, secretBox: deps.secretBox }),
  };
}
