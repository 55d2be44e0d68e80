/** Node-only helpers: a file store and the machine fingerprint. Browsers import `@keyward/sdk` only. */
export { FileStore } from './file-store.js';
export { type FingerprintOptions, type MachineFingerprint, machineFingerprint } from './fingerprint.js';
