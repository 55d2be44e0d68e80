// A real SMTP server for tests, run as its own process: `node smtp-test-server-process.mjs <json options>`.
// It listens on 127.0.0.1 (a free port), writes each message it takes to the options' directory as
// <n>.eml with its envelope in <n>.json, and prints `listening <port>` once ready. `failures` are answers
// given to the first messages, in order (e.g. a 451 then a 550); `failAlways` answers every message so.
// `tls` ({ mode: 'starttls' | 'implicit', key, cert }) speaks TLS with that certificate; each envelope records
// whether the session was encrypted (`secure`) when the message came.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const options = JSON.parse(process.argv[2] ?? '{}');
const dir = options.dir;
mkdirSync(dir, { recursive: true });
const failures = [...(options.failures ?? [])];
let received = 0;

function refusal({ code, message }) {
  const error = new Error(message);
  error.responseCode = code;
  return error;
}

const tls = options.tls ?? null;
const server = new SMTPServer({
  secure: tls?.mode === 'implicit',
  ...(tls ? { key: tls.key, cert: tls.cert } : {}),
  // `starttls`: offer STARTTLS with smtp-server's own self-signed certificate, which clients must refuse.
  disabledCommands: options.starttls || tls?.mode === 'starttls' ? [] : ['STARTTLS'],
  authOptional: !options.auth,
  allowInsecureAuth: true,
  logger: false,
  onAuth(auth, _session, callback) {
    if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass)
      return callback(null, { user: auth.username });
    return callback(refusal({ code: 535, message: '5.7.8 Authentication credentials invalid' }));
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const failure = options.failAlways ?? failures.shift();
      if (failure) return callback(refusal(failure));
      received += 1;
      const name = String(received).padStart(4, '0');
      writeFileSync(
        join(dir, `${name}.json`),
        JSON.stringify({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user ?? null,
          secure: session.secure === true,
        }),
      );
      // Written whole, then named: a reader never sees half a message.
      writeFileSync(join(dir, `${name}.tmp`), Buffer.concat(chunks));
      renameSync(join(dir, `${name}.tmp`), join(dir, `${name}.eml`));
      callback(null, `2.0.0 queued as ${name}`);
    });
  },
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
