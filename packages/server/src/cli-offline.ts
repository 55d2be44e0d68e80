import { readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import type { Actor } from './core/access/actor.js';
import type { Keyward } from './core/keyward.js';
import type { License } from './core/model.js';
import type { KeywardStore } from './storage/create-store.js';

type WithKeyward = <T>(work: (keyward: Keyward, store: KeywardStore) => Promise<T>) => Promise<T>;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function output(text: string, file: string | undefined): void {
  if (file) writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function licenseByIdOrKey(keyward: Keyward, store: KeywardStore, idOrKey: string): Promise<License> {
  const byId = /^\d{1,10}$/.test(idOrKey) ? await store.licenses.findById(Number(idOrKey)) : null;
  return byId ?? (await keyward.licenses.getByKey(idOrKey));
}

/**
 * `keyward offline …`: the vendor's side of offline licensing from the server host — answering an
 * air-gapped machine's request file and checking out license files. Both use the same core use cases as the
 * native API (POST /v1/offline/responses, POST /v1/licenses/actions/check-out).
 */
export function registerOfflineCommands(
  program: Command,
  deps: { withKeyward: WithKeyward; print: (value: unknown) => void; actor: Actor },
): void {
  const { withKeyward, print, actor } = deps;
  const offline = program
    .command('offline')
    .description('offline licensing: air-gapped requests, license files');

  offline
    .command('respond')
    .description("answer an air-gapped machine's request file with a signed response file")
    .argument('<request-file>', 'the request file the machine wrote (- reads standard input)')
    .option('-o, --out <file>', 'write the response here instead of standard output')
    .action(async (requestFile: string, options: { out?: string }) =>
      withKeyward(async (keyward) => {
        await keyward.signingKeys.load();
        const raw = readFileSync(requestFile === '-' ? 0 : requestFile, 'utf8');
        const request = keyward.offline.parse(raw);
        if (request.type === 'verified-trial') {
          const { response, trial } = await keyward.offline.startVerifiedTrial(actor, request);
          output(response, options.out);
          if (options.out) print({ type: request.type, trialId: trial.id, response: options.out });
          return;
        }
        const license = await keyward.licenses.getByKey(request.key);
        if (request.type === 'deactivation') {
          await keyward.offline.deactivate(actor, license, request);
          print({ type: request.type, machineId: request.machineId, deactivated: true });
          return;
        }
        const { response, machine } = await keyward.offline.activate(actor, license, request);
        output(response, options.out);
        if (options.out) print({ type: request.type, machineId: machine.id, response: options.out });
      }),
    );

  offline
    .command('license-file')
    .description('check out a signed offline license file for a valid license')
    .argument('<idOrKey>', 'license id or key')
    .option(
      '--fingerprint <fingerprint>',
      'bind the file to this activated machine (required when the license has a machine limit)',
    )
    .option('--ttl <seconds>', 'time-to-live in seconds (at most a year)', positiveInt)
    .option('--encrypt', 'encrypt the file to the machine (needs --fingerprint)')
    .option('-o, --out <file>', 'write the file here instead of standard output')
    .action(
      async (
        idOrKey: string,
        options: { fingerprint?: string; ttl?: number; encrypt?: boolean; out?: string },
      ) =>
        withKeyward(async (keyward, store) => {
          await keyward.signingKeys.load();
          const license = await licenseByIdOrKey(keyward, store, idOrKey);
          const issued = await keyward.licenseFiles.checkOut(actor, license, {
            fingerprint: options.fingerprint,
            ttlSeconds: options.ttl,
            encrypt: options.encrypt,
            callerKind: 'token',
          });
          output(issued.file, options.out);
          if (options.out)
            print({ file: options.out, issuedAt: issued.issuedAt, expiresAt: issued.expiresAt });
        }),
    );
}
