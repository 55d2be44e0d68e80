import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server's key and certificate, PEM. */
export interface ServerCertificate {
  key: string;
  cert: string;
}

export interface TestCertificateAuthority {
  /** The CA's certificate file: what an operator names in NODE_EXTRA_CA_CERTS to trust it. */
  caFile: string;
  /** A certificate for this host name (its subjectAltName), signed by the CA. */
  issue(hostName: string): ServerCertificate;
  /** Removes the CA's files. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/**
 * A private certificate authority made with openssl for one test run, as an operator's own CA would be:
 * nothing trusts it until told to, so a server's certificate it signed proves the trust came from the test.
 */
export function createTestCertificateAuthority(): TestCertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-ca-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=Keyward Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  let issued = 0;
  return {
    caFile: join(dir, 'ca.pem'),
    issue(hostName) {
      issued += 1;
      const name = `server-${issued}`;
      openssl(
        [
          'req',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          `${name}.key`,
          '-out',
          `${name}.csr`,
          '-subj',
          `/CN=${hostName}`,
        ],
        dir,
      );
      // Clients match the host against subjectAltName, not the common name, so the name goes there.
      writeFileSync(
        join(dir, `${name}.ext`),
        `subjectAltName=DNS:${hostName}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-days',
          '2',
          '-sha256',
          '-extfile',
          `${name}.ext`,
          '-out',
          `${name}.pem`,
        ],
        dir,
      );
      return {
        key: readFileSync(join(dir, `${name}.key`), 'utf8'),
        cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
