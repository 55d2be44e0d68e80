import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clientFiles } from './client-files.js';
import { openApiDocument } from './openapi-document.js';

/** Writes the generated files of the SDK and the dashboard under `root`; answers what each became. */
export async function writeClientFiles(root: string): Promise<string[]> {
  const report: string[] = [];
  for (const file of clientFiles(await openApiDocument())) {
    const target = join(root, file.path);
    const current = await readFile(target, 'utf8').catch(() => null);
    if (current === file.content) {
      report.push(`${file.path}: unchanged`);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    report.push(`${file.path}: written`);
  }
  return report;
}
