import { generateKeyPairSync, sign } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * Raw signing throughput over all cores: one worker thread per core signs payloads of the given size in a
 * loop for the given time. This is the ceiling for a route whose every answer carries a fresh signature.
 */

interface Job {
  algorithm: 'rsa-2048' | 'ed25519';
  seconds: number;
  bytes: number;
}

function signLoop(job: Job): number {
  const { privateKey } =
    job.algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const digest = job.algorithm === 'ed25519' ? null : 'sha256';
  const payload = Buffer.alloc(job.bytes, 'k');
  const end = Date.now() + job.seconds * 1000;
  let count = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 20; i++) {
      payload.writeUInt32LE(count, 0);
      sign(digest, payload, privateKey);
      count++;
    }
  }
  return count;
}

if (!isMainThread) {
  parentPort?.postMessage(signLoop(workerData as Job));
} else {
  const [algorithm = 'rsa-2048', seconds = '3', bytes = '700'] = process.argv.slice(2);
  const job: Job = {
    algorithm: algorithm as Job['algorithm'],
    seconds: Number(seconds),
    bytes: Number(bytes),
  };
  const threads = availableParallelism();
  const counts = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: job });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const total = counts.reduce((a, b) => a + b, 0);
  process.stdout.write(`${JSON.stringify({ threads, perSecond: total / job.seconds })}\n`);
}
