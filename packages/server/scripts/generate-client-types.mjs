#!/usr/bin/env node
// Writes the files the SDK and the dashboard import instead of copying the server by hand: the SDK's error and
// validation codes, the dashboard's scope list and its types of the API's answers (src/codegen/). Run it as
// `npm run generate` at the repository root, which builds the server first; src/codegen/generated-clients.test.ts
// fails while a committed file differs from what this writes.
import { fileURLToPath } from 'node:url';
import { writeClientFiles } from '../dist/codegen/write-client-files.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
for (const line of await writeClientFiles(root)) console.log(line);
