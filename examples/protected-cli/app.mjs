#!/usr/bin/env node
/**
 * A small command-line tool protected by Keyward: node-locked activation with an offline policy, license
 * files, air-gapped activation and a floating seat. Every command prints one JSON line per event.
 *
 * Exit codes: 0 done, 1 an error (printed with its code), 2 not licensed, 3 floating seat lost.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isKeywardError, Licensing } from '@keyward/sdk';
import { FileStore, machineFingerprint } from '@keyward/sdk/node';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;

// Days between online checks and grace days on network errors (TurboActivate's IsGenuineEx).
const POLICY = {
  daysBetweenChecks: Number(env.DEMO_DAYS_BETWEEN_CHECKS ?? 1),
  graceDays: Number(env.DEMO_GRACE_DAYS ?? 3),
};

// DEMO_CLOCK_SHIFT_DAYS pretends the computer's clock is that many days off (negative: set back), to show
// the offline policy and clock-rollback detection without waiting for days.
const shiftMs = Number(env.DEMO_CLOCK_SHIFT_DAYS ?? 0) * 86_400_000;

const machine = await machineFingerprint({ salt: 'keyward-demo' });
const machineInfo = { platform: machine.platformName, isVm: machine.isVm };

/** Set up on first use, so that `fingerprint` and the usage text need no server settings. */
let licensing;
async function setUp() {
  // A shipped app compiles its server's public key in as a string constant (`publicKeyPem` of
  // GET /v1/signing-keys). The demo reads it from a file so that it works with any server.
  const publicKey = await readFile(
    env.KEYWARD_PUBLIC_KEY_FILE ?? join(here, 'keyward-public-key.pem'),
    'utf8',
  );
  licensing = new Licensing({
    url: env.KEYWARD_URL ?? 'http://localhost:8080',
    publicKey,
    fingerprint: env.DEMO_FINGERPRINT ?? machine.fingerprint,
    store: new FileStore(env.DEMO_STATE_DIR ?? join(homedir(), '.keyward-demo')),
    now: () => new Date(Date.now() + shiftMs),
    retries: 0,
    timeoutMs: 5000,
  });
}

const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const notLicensed = (event) => {
  print({ event: 'refused', ...event });
  process.exit(2);
};

/** The work the license protects. */
function doLicensedWork() {
  print({ event: 'work', message: 'the licensed feature ran' });
}

const commands = {
  async activate(key) {
    const { machine: activated, validation } = await licensing.activate(key, machineInfo);
    print({ event: 'activated', machineId: activated.id, valid: validation.valid, code: validation.code });
  },

  async run() {
    const result = await licensing.isGenuine(POLICY);
    if (!result.isGenuine) notLicensed({ status: result.status, code: result.code });
    print({
      event: 'genuine',
      status: result.status,
      checkedOnline: result.checkedOnline,
      daysLeft: result.daysLeft,
    });
    doLicensedWork();
  },

  async deactivate() {
    await licensing.deactivate();
    print({ event: 'deactivated' });
  },

  async 'license-file'(ttlSeconds) {
    const file = await licensing.checkOutLicenseFile(ttlSeconds ? { ttlSeconds: Number(ttlSeconds) } : {});
    print({ event: 'license-file', expiresAt: file.expiresAt });
  },

  async 'verify-license-file'() {
    try {
      const file = await licensing.verifyLicenseFile();
      print({ event: 'license-file-valid', expiresAt: file.expiresAt });
      doLicensedWork();
    } catch (error) {
      if (isKeywardError(error)) notLicensed({ code: error.code, message: error.message });
      throw error;
    }
  },

  async request(key, file) {
    await writeFile(file, await licensing.createOfflineActivationRequest(key, machineInfo));
    print({ event: 'request-written', file });
  },

  async 'activate-offline'(file) {
    const activation = await licensing.activateFromOfflineResponse(await readFile(file, 'utf8'));
    print({ event: 'activated-offline', machineId: activation.machine.id });
  },

  async floating(key) {
    const seat = await licensing.checkOutSeat(key, {
      heartbeatSeconds: env.DEMO_HEARTBEAT_SECONDS ? Number(env.DEMO_HEARTBEAT_SECONDS) : undefined,
      machine: machineInfo,
      onHeartbeat: (m) => print({ event: 'heartbeat', leaseExpiresAt: m.leaseExpiresAt }),
      onLost: (loss) => {
        print({ event: 'seat-lost', code: loss.code });
        process.exit(3);
      },
    });
    print({ event: 'seat', machineId: seat.machine.id, leaseExpiresAt: seat.machine.leaseExpiresAt });
    // Work until stopped: Ctrl-C or SIGTERM releases the seat; a killed process loses it when the lease ends.
    setInterval(doLicensedWork, 1000);
  },

  async fingerprint() {
    print({ event: 'fingerprint', ...machine });
  },
};

const [name, ...args] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  process.stderr.write(`usage: app.mjs <${Object.keys(commands).join('|')}> [arguments]\n`);
  process.exit(1);
}
try {
  if (name !== 'fingerprint') await setUp();
  await command(...args);
} catch (error) {
  const code = isKeywardError(error) ? error.code : error.code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'UNEXPECTED';
  print({ event: 'error', code, message: String(error.message) });
  process.exit(1);
}
