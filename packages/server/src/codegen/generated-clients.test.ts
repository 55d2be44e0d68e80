import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clientFiles, GENERATE_COMMAND } from './client-files.js';
import { openApiDocument } from './openapi-document.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('the generated files of the SDK and the dashboard', () => {
  it('are what the server generates now', async () => {
    const files = clientFiles(await openApiDocument());
    expect(files.length).toBe(3);
    const stale: string[] = [];
    for (const file of files) {
      const committed = await readFile(join(ROOT, file.path), 'utf8').catch(() => null);
      if (committed !== file.content)
        stale.push(
          `${file.path} is ${committed === null ? 'missing' : 'stale'}: run \`${GENERATE_COMMAND}\` at the repository root and commit the result`,
        );
    }
    expect(stale).toEqual([]);
  });
});
