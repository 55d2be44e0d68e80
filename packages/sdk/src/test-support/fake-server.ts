import {
  createCipheriv,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';

/**
 * An in-process stand-in for the license server, speaking the native API's wire format (signatures, nonces,
 * error envelope, license-file and offline-response formats) for the SDK's unit tests. The end-to-end suite
 * runs the SDK against the real server; this one makes failures and clocks easy to stage.
 */
export interface FakeServer {
  publicKeyPem: string;
  privateKey: KeyObject;
  fetch: typeof fetch;
  /** Requests seen, in order. */
  calls: { method: string; path: string; headers: Record<string, string>; body: unknown }[];
  /** What the next answers look like. */
  behaviour: {
    /** Server time of answers. */
    now: () => Date;
    /** Validation outcome for the license. */
    code: string;
    /** Fail every request at the network level. */
    offline: boolean;
    /** Answer every request with this status and error code instead. */
    failWith: { status: number; code: string } | null;
    leaseSeconds: number | null;
    licenseExpiresAt: string | null;
  };
}

export function signAsServer(privateKey: KeyObject, text: string): string {
  return sign(null, Buffer.from(text), privateKey).toString('base64');
}

export function createFakeServer(): FakeServer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const calls: FakeServer['calls'] = [];
  const behaviour: FakeServer['behaviour'] = {
    now: () => new Date(),
    code: 'VALID',
    offline: false,
    failWith: null,
    leaseSeconds: null,
    licenseExpiresAt: null,
  };
  const machines = new Map<string, { id: number; deactivated: boolean }>();
  let nextId = 1;

  const machineBody = (id: number, fingerprint: string) => {
    const now = behaviour.now();
    return {
      id,
      licenseId: 1,
      fingerprint,
      name: null,
      platform: null,
      isVm: false,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      leaseExpiresAt:
        behaviour.leaseSeconds === null
          ? null
          : new Date(now.getTime() + behaviour.leaseSeconds * 1000).toISOString(),
      isOverdraft: false,
      expiresAt: null,
      deactivatedAt: null,
    };
  };

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

  const fakeFetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method: init.method ?? 'GET', path: url.pathname, headers, body });
    if (behaviour.offline) throw new TypeError('fetch failed');
    if (behaviour.failWith) {
      return json(behaviour.failWith.status, {
        error: { code: behaviour.failWith.code, message: 'refused', requestId: 'req-1' },
      });
    }
    if (url.pathname === '/v1/licenses/actions/validate-key') {
      const fingerprint = body.fingerprint as string | undefined;
      const machine = fingerprint ? machines.get(fingerprint) : undefined;
      const code =
        machine && !machine.deactivated ? behaviour.code : fingerprint ? 'NO_MACHINE' : behaviour.code;
      const text = JSON.stringify({
        valid: code === 'VALID',
        code,
        detail: code,
        nonce: body.nonce ?? null,
        ts: behaviour.now().toISOString(),
        request: {
          key: body.key,
          licenseId: null,
          fingerprint: fingerprint ?? null,
          productId: body.productId ?? null,
          features: body.features ?? null,
        },
        license: {
          id: 1,
          key: body.key,
          policyId: 1,
          productIds: [1],
          status: 'active',
          expiresAt: behaviour.licenseExpiresAt,
          features: {},
        },
        machine: machine && fingerprint ? machineBody(machine.id, fingerprint) : null,
      });
      return new Response(text, {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'keyward-signature': `ed25519=${signAsServer(privateKey, text)}`,
        },
      });
    }
    if (url.pathname === '/v1/machines' && init.method === 'POST') {
      const existing = machines.get(body.fingerprint);
      if (existing && !existing.deactivated) return json(200, machineBody(existing.id, body.fingerprint));
      const id = nextId++;
      machines.set(body.fingerprint, { id, deactivated: false });
      return json(201, machineBody(id, body.fingerprint));
    }
    const machinePath = /^\/v1\/machines\/(\d+)(\/actions\/heartbeat)?$/.exec(url.pathname);
    if (machinePath) {
      const entry = [...machines.entries()].find(([, m]) => m.id === Number(machinePath[1]));
      if (!entry || entry[1].deactivated) {
        return json(404, { error: { code: 'MACHINE_NOT_FOUND', message: 'no machine', requestId: 'r' } });
      }
      if (init.method === 'DELETE') {
        entry[1].deactivated = true;
        return new Response(null, { status: 204 });
      }
      return json(200, machineBody(entry[1].id, entry[0]));
    }
    return json(404, { error: { code: 'NOT_FOUND', message: 'no route', requestId: 'r' } });
  };

  return { publicKeyPem, privateKey, fetch: fakeFetch as typeof fetch, calls, behaviour };
}

/** A license file as the server writes it (core/signing/license-file.ts). */
export function licenseFileAsServer(
  privateKey: KeyObject,
  payload: Record<string, unknown>,
  encryptTo?: { key: string; fingerprint: string },
): string {
  const plain = Buffer.from(JSON.stringify(payload));
  let encryption = 'none';
  let iv = '';
  let body = plain.toString('base64');
  if (encryptTo) {
    encryption = 'aes-256-gcm';
    const nonce = randomBytes(12);
    const key = createHash('sha256')
      .update(`keyward-license-file.v1|${encryptTo.key}|${encryptTo.fingerprint}`)
      .digest();
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64');
    iv = nonce.toString('base64');
  }
  const envelope = {
    format: 'keyward-license-file',
    version: 1,
    algorithm: 'ed25519',
    encryption,
    iv,
    payload: body,
    signature: signAsServer(privateKey, `keyward-license-file.v1.${encryption}.${iv}.${body}`),
  };
  const lines =
    Buffer.from(JSON.stringify(envelope))
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN KEYWARD LICENSE FILE-----\n${lines.join('\n')}\n-----END KEYWARD LICENSE FILE-----\n`;
}

/** An offline response as the server writes it (core/signing/offline-exchange.ts). */
export function offlineResponseAsServer(privateKey: KeyObject, payload: Record<string, unknown>): string {
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64');
  const envelope = {
    format: 'keyward-offline-response',
    version: 1,
    algorithm: 'ed25519',
    payload: encoded,
    signature: signAsServer(privateKey, `keyward-offline-response.v1.${encoded}`),
  };
  return Buffer.from(JSON.stringify(envelope)).toString('base64');
}
