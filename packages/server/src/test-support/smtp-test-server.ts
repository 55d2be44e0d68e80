import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';

/** An answer the test server gives instead of taking a message. */
export interface SmtpRefusal {
  code: number;
  message: string;
}

export interface SmtpTestServerOptions {
  /** Answers to the first messages, in order; the ones after are taken. */
  failures?: SmtpRefusal[];
  /** Answers every message so. */
  failAlways?: SmtpRefusal;
  /** Requires AUTH with these. */
  auth?: { user: string; pass: string };
  /** Offers STARTTLS, with a self-signed certificate no client should trust. */
  starttls?: boolean;
  /**
   * Speaks TLS with this key and certificate (e.g. from createTestCertificateAuthority): after STARTTLS, which
   * is then offered, or from the first byte (`implicit`, as on port 465).
   */
  tls?: { mode: 'starttls' | 'implicit'; key: string; cert: string };
}

export interface ReceivedEmail {
  /** The SMTP envelope. */
  envelope: { from: string | null; to: string[]; user: string | null };
  /** The message as it arrived, parsed. */
  parsed: ParsedMail;
  raw: string;
  /** Whether the session was encrypted (TLS from the start or after STARTTLS) when the message arrived. */
  secure: boolean;
}

export interface SmtpTestServer {
  host: '127.0.0.1';
  port: number;
  /** Every message taken so far, in order. */
  messages(): Promise<ReceivedEmail[]>;
  /** Waits until at least `count` messages arrived (or fails after `timeoutMs`). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  stop(): Promise<void>;
}

const SCRIPT = join(import.meta.dirname, 'smtp-test-server-process.mjs');

/**
 * Starts a real SMTP server (npm `smtp-server`) in a child process on loopback, so email is delivered over a
 * real SMTP exchange and read back as it arrived, parsed with `mailparser`.
 */
export async function startSmtpTestServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-smtp-'));
  const child: ChildProcess = spawn(process.execPath, [SCRIPT, JSON.stringify({ dir, ...options })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the SMTP test server exited (${code}): ${errors}`)));
  });
  const exited = once(child, 'exit');

  async function messages(): Promise<ReceivedEmail[]> {
    const names = readdirSync(dir)
      .filter((name) => name.endsWith('.eml'))
      .sort();
    return Promise.all(
      names.map(async (name) => {
        const raw = readFileSync(join(dir, name), 'utf8');
        const { secure, ...envelope } = JSON.parse(
          readFileSync(join(dir, name.replace(/\.eml$/, '.json')), 'utf8'),
        );
        return { envelope, secure, raw, parsed: await simpleParser(raw) };
      }),
    );
  }

  return {
    host: '127.0.0.1',
    port,
    messages,
    async waitForMessages(count, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = await messages();
        if (found.length >= count) return found;
        if (Date.now() > until)
          throw new Error(`${found.length} of ${count} messages arrived within ${timeoutMs} ms`);
        await new Promise((done) => setTimeout(done, 50));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
