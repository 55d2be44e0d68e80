import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createStore } from './create-store.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Every file that holds the server's secrets is the owner's alone, whatever the umask lets through. */
describe('files holding secrets', () => {
  let umask: number;
  beforeAll(() => {
    // The usual umask, under which files are created world-readable unless created private on purpose.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });

  it('creates the SQLite database, its -wal and -shm files and its directories private', async () => {
    const root = mkdtempSync(join(tmpdir(), 'keyward-private-'));
    const path = join(root, 'data', 'db', 'keyward.sqlite');
    const store = createStore({ kind: 'sqlite', path });
    try {
      await store.migrate();
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(file), file).toBe(true);
        expect(modeOf(file), file).toBe(0o600);
      }
      expect(modeOf(join(root, 'data'))).toBe(0o700);
      expect(modeOf(join(root, 'data', 'db'))).toBe(0o700);
    } finally {
      await store.close();
    }
  });

  it('keeps the permissions of a database file the operator created', async () => {
    const root = mkdtempSync(join(tmpdir(), 'keyward-private-'));
    const path = join(root, 'keyward.sqlite');
    writeFileSync(path, '', { mode: 0o640 });
    const store = createStore({ kind: 'sqlite', path });
    await store.migrate();
    await store.close();
    expect(modeOf(path)).toBe(0o640);
  });

  it('generates keyward.secret private, in a private directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'keyward-private-'));
    const path = join(root, 'data', 'keyward.sqlite');
    loadConfig({ DATABASE_URL: path });
    expect(modeOf(join(root, 'data', 'keyward.secret'))).toBe(0o600);
    expect(modeOf(join(root, 'data'))).toBe(0o700);
  });
});
