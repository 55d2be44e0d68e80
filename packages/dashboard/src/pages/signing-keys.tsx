import { get, type SigningKey } from '../api';
import { Loaded } from '../loaded';
import { CopyButton, Empty, formatDate, PageHeader, useAsync } from '../ui';

export function SigningKeysPage() {
  const keys = useAsync(() => get<{ data: SigningKey[] }>('/signing-keys'), []);
  return (
    <>
      <PageHeader title="Signing keys">
        Public keys to embed in your apps: they verify signed validation answers and license files.
      </PageHeader>
      <Loaded state={keys} rows={(d) => d.data} empty={<Empty title="No signing keys" />}>
        {(rows) =>
          rows.map((key) => (
            <section key={key.id} className="card" aria-labelledby={`key-${key.id}`}>
              <div className="card-head">
                <h2 id={`key-${key.id}`}>
                  {key.algorithm === 'ed25519'
                    ? 'Ed25519 (native API)'
                    : `${key.algorithm.toUpperCase()} (Cryptolens SDKs)`}
                </h2>
                <span className="muted">since {formatDate(key.createdAt)}</span>
              </div>
              <h3>PEM</h3>
              <pre className="key-block">{key.publicKeyPem}</pre>
              <CopyButton text={key.publicKeyPem} label="Copy PEM" />
              {key.publicKeyXml && (
                <>
                  <h3>.NET XML (RSAKeyValue)</h3>
                  <p className="muted">Paste into a Cryptolens SDK as the RSA public key.</p>
                  <pre className="key-block">{key.publicKeyXml}</pre>
                  <CopyButton text={key.publicKeyXml} label="Copy XML" />
                </>
              )}
            </section>
          ))
        }
      </Loaded>
    </>
  );
}
