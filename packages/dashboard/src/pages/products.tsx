import { type FormEvent, useState } from 'react';
import { getAll, type Policy, type Product, post } from '../api';
import { DataTable } from '../data-table';
import { SuccessNote } from '../feedback';
import { flashOn, takeFlash } from '../flash';
import { FormError } from '../form-footer';
import { Loaded } from '../loaded';
import { Link, navigate } from '../router';
import { useCan } from '../session';
import { Empty, errorText, Field, formatDay, PageHeader, useAsync } from '../ui';

export function ProductsPage() {
  const canWrite = useCan('products:write');
  const data = useAsync(
    async () => ({
      products: await getAll<Product>('/products'),
      policies: await getAll<Policy>('/policies'),
    }),
    [],
  );
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice] = useState(() => takeFlash('/products'));

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const product = await post<Product>('/products', { name, ...(code ? { code } : {}) });
      flashOn(`/products/${product.id}`, `Product “${product.name}” created. Give it a policy next.`);
      navigate(`/products/${product.id}`);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="Products & policies">
        A product is an app you license; its policies set the rules its keys follow.
      </PageHeader>
      <SuccessNote text={notice} />
      {canWrite && (
        <form className="card inline-form" onSubmit={create} aria-labelledby="new-product">
          <h2 id="new-product">New product</h2>
          <Field label="Name">
            {(p) => (
              <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
            )}
          </Field>
          <Field label="Code (optional)" hint="A short unique code, e.g. DESKTOP">
            {(p) => <input {...p} maxLength={100} value={code} onChange={(e) => setCode(e.target.value)} />}
          </Field>
          <button type="submit" disabled={busy}>
            Create product
          </button>
          <FormError error={error} />
        </form>
      )}
      <Loaded
        state={data}
        rows={(d) => d.products}
        empty={<Empty title="No products yet">Create your first product above, then give it a policy.</Empty>}
      >
        {(rows, catalog) => (
          <DataTable caption="Products" columns={['Product', 'Code', 'Policies', 'Created']}>
            {rows.map((product) => {
              const policies = catalog.policies.filter((p) => p.productId === product.id);
              return (
                <tr key={product.id}>
                  <td>
                    <Link href={`/products/${product.id}`}>{product.name}</Link>
                  </td>
                  <td>{product.code ?? '—'}</td>
                  <td>{policies.length === 0 ? 'none yet' : policies.map((p) => p.name).join(', ')}</td>
                  <td>{formatDay(product.createdAt)}</td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </Loaded>
    </>
  );
}
