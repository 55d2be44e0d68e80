import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * The ceilings for an HTTP service on this machine: node:http answering a JSON body of about a given size,
 * with no routing, parsing or database. It reads the request body, as a real handler must. Three kinds:
 *
 * - `plain`: a fixed body;
 * - `ed25519`: each answer signed with Ed25519 in libuv's thread pool (the callback form of crypto.sign),
 *   the signature in a header, as the server signs native answers (http/plugins/sign-responses.ts);
 * - `rsa-2048`: each answer shaped as Cryptolens GetKey answers with SignMethod=1: a base64 payload and its
 *   RSA-2048 PKCS#1 v1.5 SHA-256 signature in the body, signed in the thread pool as the server does.
 *
 * A signed answer holds a counter, so no two answers are the same bytes and no signature can be reused.
 * The thread pool's size comes from UV_THREADPOOL_SIZE, set by whoever starts this process. Once it listens it
 * prints one JSON line: the size of its answers in bytes.
 */

type Kind = 'plain' | 'ed25519' | 'rsa-2048';

const [port = '0', size = '600', kind = 'plain'] = process.argv.slice(2) as [string?, string?, Kind?];
const target = Number(size);

/** The answer's counter, at a fixed width so every answer has the same size. */
const counterText = (n: number) => String(n).padStart(12, '0');

/** A JSON object `{...fields, "pad": "xxx"}` of `bytes` bytes (or the smallest it can be). */
function padded(fields: Record<string, unknown>, bytes: number): string {
  const empty = JSON.stringify({ ...fields, pad: '' });
  return JSON.stringify({ ...fields, pad: 'x'.repeat(Math.max(0, bytes - empty.length)) });
}

function signInPool(digest: string | null, data: Buffer, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) =>
    sign(digest, data, key, (error, signature) =>
      error ? reject(error) : resolve(signature.toString('base64')),
    ),
  );
}

interface Answer {
  body: Buffer;
  headers: Record<string, string>;
}

/** Builds the n-th answer of this kind. */
function answerer(): (n: number) => Promise<Answer> {
  if (kind === 'plain') {
    const body = Buffer.from(padded({ valid: true }, target));
    return async () => ({ body, headers: {} });
  }
  if (kind === 'ed25519') {
    const { privateKey } = generateKeyPairSync('ed25519');
    return async (n) => {
      const body = Buffer.from(padded({ valid: true, n: counterText(n) }, target));
      return {
        body,
        headers: { 'keyward-signature': `ed25519=${await signInPool(null, body, privateKey)}` },
      };
    };
  }
  if (kind === 'rsa-2048') {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    // The body around the payload and the 344 base64 characters of a 256-byte signature.
    const frame = JSON.stringify({ licenseKey: '', signature: 'x'.repeat(344), result: 0, message: null });
    const payloadBytes = Math.max(0, Math.floor(((target - frame.length) * 3) / 4));
    return async (n) => {
      const payload = Buffer.from(padded({ n: counterText(n) }, payloadBytes));
      const signature = await signInPool('sha256', payload, privateKey);
      const body = JSON.stringify({
        licenseKey: payload.toString('base64'),
        signature,
        result: 0,
        message: null,
      });
      return { body: Buffer.from(body), headers: {} };
    };
  }
  throw new Error(`unknown kind ${kind}: plain, ed25519 or rsa-2048`);
}

const answer = answerer();
let served = 0;

const server = createServer((request, response) => {
  request.on('data', () => {});
  request.on('end', () => {
    answer(served++).then(
      ({ body, headers }) => {
        response.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': body.length,
          ...headers,
        });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500);
        response.end(String(error));
      },
    );
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(port), '127.0.0.1', async () => {
  const { body } = await answer(-1);
  process.stdout.write(`${JSON.stringify({ bytes: body.length })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
