import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValueStore } from '../storage.js';

/** One file per entry in a directory of the app's (e.g. `~/.config/<app>`); writes are atomic. */
export class FileStore implements KeyValueStore {
  constructor(private readonly directory: string) {}

  private path(name: string): string {
    return join(this.directory, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }

  async get(name: string): Promise<string | null> {
    try {
      return await readFile(this.path(name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async set(name: string, value: string): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const path = this.path(name);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, value, { mode: 0o600 });
    await rename(temporary, path);
  }

  async delete(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }
}
