/**
 * Where an installation keeps its licensing state (the key, the machine id, the last signed answer, license
 * files, the last time seen). Everything stored that grants anything is signed by the server and checked
 * again when read, so editing the store cannot extend a license; deleting it only forces a new activation.
 */
export interface KeyValueStore {
  get(name: string): string | null | Promise<string | null>;
  set(name: string, value: string): void | Promise<void>;
  delete(name: string): void | Promise<void>;
}

export class MemoryStore implements KeyValueStore {
  private readonly values = new Map<string, string>();
  get(name: string): string | null {
    return this.values.get(name) ?? null;
  }
  set(name: string, value: string): void {
    this.values.set(name, value);
  }
  delete(name: string): void {
    this.values.delete(name);
  }
}

/** Browsers: window.localStorage (or any Storage). */
export class WebStorageStore implements KeyValueStore {
  constructor(private readonly storage: Storage = globalThis.localStorage) {}
  get(name: string): string | null {
    return this.storage.getItem(name);
  }
  set(name: string, value: string): void {
    this.storage.setItem(name, value);
  }
  delete(name: string): void {
    this.storage.removeItem(name);
  }
}
