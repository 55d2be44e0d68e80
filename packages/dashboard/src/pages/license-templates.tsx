import { type FormEvent, useState } from 'react';
import {
  del,
  type FeatureField,
  type FeatureValue,
  getAll,
  type LicenseTemplate,
  type Policy,
  type Product,
  patch,
  post,
} from '../api';
import { DataTable } from '../data-table';
import { FeedbackNote, useFeedback } from '../feedback';
import { FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { useCan } from '../session';
import { Dialog, Empty, ErrorNote, Field, formatDay, PageHeader, useAsync } from '../ui';

/** The form's text, turned into the API's values on submit; empty means "as the policy says". */
interface Draft {
  name: string;
  policyId: string;
  durationDays: string;
  maxMachines: string;
  features: Record<string, string>;
  notes: string;
  allowedMachines: string;
  hasTrialActivation: boolean;
}

const DAY = 86_400;

const emptyDraft = (policyId = ''): Draft => ({
  name: '',
  policyId,
  durationDays: '',
  maxMachines: '',
  features: {},
  notes: '',
  allowedMachines: '',
  hasTrialActivation: false,
});

const draftOf = (t: LicenseTemplate): Draft => ({
  name: t.name,
  policyId: String(t.policyId),
  durationDays: t.durationSeconds === null ? '' : String(Number((t.durationSeconds / DAY).toFixed(4))),
  maxMachines: t.maxMachines === null ? '' : String(t.maxMachines),
  features: Object.fromEntries(
    Object.entries(t.features).map(([name, value]) => [
      name,
      typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? value.slice(0, 10) : String(value),
    ]),
  ),
  notes: t.notes ?? '',
  allowedMachines: t.allowedMachines.join('\n'),
  hasTrialActivation: t.hasTrialActivation,
});

/** The request body; `clear` sends null for emptied settings (an edit), otherwise leaves them out. */
function bodyOf(draft: Draft, fields: FeatureField[], clear: boolean) {
  const optional = <T,>(text: string, value: () => T) =>
    text.trim() === '' ? (clear ? null : undefined) : value();
  const features: Record<string, FeatureValue> = {};
  for (const field of fields) {
    const text = (draft.features[field.name] ?? '').trim();
    if (text === '') continue;
    features[field.name] =
      field.type === 'integer' ? Number(text) : field.type === 'boolean' ? text === 'true' : text;
  }
  const body = {
    name: draft.name,
    policyId: Number(draft.policyId),
    durationSeconds: optional(draft.durationDays, () => Math.round(Number(draft.durationDays) * DAY)),
    maxMachines: optional(draft.maxMachines, () => Number(draft.maxMachines)),
    features,
    notes: optional(draft.notes, () => draft.notes),
    allowedMachines: draft.allowedMachines
      .split(/[\n,]+/)
      .map((line) => line.trim())
      .filter(Boolean),
    hasTrialActivation: draft.hasTrialActivation,
  };
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

function FeatureInput({
  field,
  value,
  onChange,
}: {
  field: FeatureField;
  value: string;
  onChange: (value: string) => void;
}) {
  const fallback =
    field.defaultValue === null
      ? 'none'
      : field.type === 'boolean'
        ? field.defaultValue
          ? 'yes'
          : 'no'
        : String(field.defaultValue);
  const label = `Feature ${field.name}${field.isRequired ? ' (required)' : ''}`;
  return (
    <Field label={label} hint={`${field.type}; empty: the policy's default (${fallback})`}>
      {(p) =>
        field.type === 'boolean' ? (
          <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
            <option value="">policy default</option>
            <option value="true">yes</option>
            <option value="false">no</option>
          </select>
        ) : (
          <input
            {...p}
            type={field.type === 'integer' ? 'number' : field.type === 'date' ? 'date' : 'text'}
            step={field.type === 'integer' ? 1 : undefined}
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}

function TemplateFields({
  draft,
  onChange,
  policies,
  products,
}: {
  draft: Draft;
  onChange: (draft: Draft) => void;
  policies: Policy[];
  products: Product[];
}) {
  const policy = policies.find((p) => String(p.id) === draft.policyId);
  const productName = (id: number) => products.find((p) => p.id === id)?.name ?? `product ${id}`;
  return (
    <>
      <div className="grid-2">
        <Field label="Template name">
          {(p) => (
            <input
              {...p}
              required
              maxLength={200}
              value={draft.name}
              onChange={(e) => onChange({ ...draft, name: e.target.value })}
            />
          )}
        </Field>
        <Field label="Policy" hint="The product and rules of the keys it makes">
          {(p) => (
            <select
              {...p}
              required
              value={draft.policyId}
              // Feature fields differ between policies: values for the old one are dropped.
              onChange={(e) => onChange({ ...draft, policyId: e.target.value, features: {} })}
            >
              <option value="">choose a policy</option>
              {policies.map((policy) => (
                <option key={policy.id} value={policy.id}>
                  {productName(policy.productId)} — {policy.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Valid for days"
          hint={`Empty: the policy's (${policy?.durationSeconds ? `${policy.durationSeconds / DAY} days` : 'no expiry'})`}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={0.0001}
              step="any"
              value={draft.durationDays}
              onChange={(e) => onChange({ ...draft, durationDays: e.target.value })}
            />
          )}
        </Field>
        <Field
          label="Machines per key"
          hint={`Empty: the policy's (${policy ? policy.maxMachines || 'unlimited' : '—'}); 0 = unlimited`}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              step={1}
              value={draft.maxMachines}
              onChange={(e) => onChange({ ...draft, maxMachines: e.target.value })}
            />
          )}
        </Field>
      </div>
      {policy && policy.featureFields.length > 0 && (
        <fieldset className="stack">
          <legend>Feature values</legend>
          <div className="grid-2">
            {policy.featureFields.map((field) => (
              <FeatureInput
                key={field.name}
                field={field}
                value={draft.features[field.name] ?? ''}
                onChange={(value) =>
                  onChange({ ...draft, features: { ...draft.features, [field.name]: value } })
                }
              />
            ))}
          </div>
        </fieldset>
      )}
      <div className="grid-2">
        <Field label="Allowed machines (optional)" hint="Fingerprints that may always activate; one a line">
          {(p) => (
            <textarea
              {...p}
              rows={2}
              value={draft.allowedMachines}
              onChange={(e) => onChange({ ...draft, allowedMachines: e.target.value })}
            />
          )}
        </Field>
        <Field label="Notes (optional)">
          {(p) => (
            <textarea
              {...p}
              rows={2}
              maxLength={10_000}
              value={draft.notes}
              onChange={(e) => onChange({ ...draft, notes: e.target.value })}
            />
          )}
        </Field>
      </div>
      <label className="inline">
        <input
          type="checkbox"
          checked={draft.hasTrialActivation}
          onChange={(e) => onChange({ ...draft, hasTrialActivation: e.target.checked })}
        />{' '}
        Trial activation: the validity starts when a key is first activated
      </label>
    </>
  );
}

export function LicenseTemplatesPage() {
  const canWrite = useCan('policies:write');
  const templates = useAsync(() => getAll<LicenseTemplate>('/license-templates'), []);
  const catalog = useAsync(
    () => Promise.all([getAll<Product>('/products'), getAll<Policy>('/policies')]),
    [],
  );
  const [products, policies] = catalog.data ?? [[], []];
  const [draft, setDraft] = useState<Draft>(emptyDraft());
  const [editing, setEditing] = useState<LicenseTemplate | null>(null);
  const [editDraft, setEditDraft] = useState<Draft>(emptyDraft());
  const created = useFeedback();
  const notice = useFeedback();
  const edited = useFeedback();

  const fieldsOf = (policyId: string) => policies.find((p) => String(p.id) === policyId)?.featureFields ?? [];
  const policyName = (id: number) => {
    const policy = policies.find((p) => p.id === id);
    const product = products.find((p) => p.id === policy?.productId);
    return policy ? `${product?.name ?? '?'} — ${policy.name}` : `policy ${id}`;
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const body = bodyOf(draft, fieldsOf(draft.policyId), false);
    if (await created.run(() => post('/license-templates', body), `Template “${draft.name}” created.`)) {
      setDraft(emptyDraft(draft.policyId));
      templates.reload();
    }
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    const body = bodyOf(editDraft, fieldsOf(editDraft.policyId), true);
    if (await edited.run(() => patch(`/license-templates/${editing.id}`, body), '')) {
      setEditing(null);
      notice.succeeded(`Template “${editDraft.name}” saved.`);
      templates.reload();
    }
  };
  const remove = async (template: LicenseTemplate) => {
    if (!window.confirm(`Delete the template “${template.name}”? Keys made from it stay as they are.`))
      return;
    if (
      await notice.run(() => del(`/license-templates/${template.id}`), `Template “${template.name}” deleted.`)
    )
      templates.reload();
  };

  return (
    <>
      <PageHeader title="License templates">
        Named presets of a policy and license settings; Cryptolens' CreateKeyFromTemplate makes keys from
        them.
      </PageHeader>
      {catalog.error && <ErrorNote error={catalog.error} onRetry={catalog.reload} />}
      {canWrite && catalog.data && (
        <form className="card stack" onSubmit={create} aria-labelledby="new-template">
          <h2 id="new-template">New template</h2>
          {policies.length === 0 ? (
            <p className="muted">Create a product and a policy first: a template builds on a policy.</p>
          ) : (
            <>
              <TemplateFields draft={draft} onChange={setDraft} policies={policies} products={products} />
              <FormFooter feedback={created.feedback} label="Create template" />
            </>
          )}
        </form>
      )}
      <FeedbackNote feedback={notice.feedback} />
      <Loaded state={templates} rows={(d) => d} empty={<Empty title="No license templates yet" />}>
        {(rows) => (
          <DataTable
            caption="License templates"
            columns={[
              'Name',
              'Policy',
              'Validity',
              { label: 'Machines', numeric: true },
              'Features',
              'Created',
              { label: 'Actions', hidden: true },
            ]}
          >
            {rows.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{policyName(t.policyId)}</td>
                <td>
                  {t.durationSeconds === null
                    ? 'policy'
                    : `${Number((t.durationSeconds / DAY).toFixed(2))} days`}
                  {t.hasTrialActivation ? ' · from first activation' : ''}
                </td>
                <td className="num">{t.maxMachines ?? 'policy'}</td>
                <td>
                  {Object.entries(t.features)
                    .map(([name, value]) => `${name}=${String(value)}`)
                    .join(', ') || '—'}
                </td>
                <td>{formatDay(t.createdAt)}</td>
                <td>
                  {canWrite && (
                    <div className="actions">
                      <button
                        type="button"
                        className="secondary small"
                        aria-label={`Edit template ${t.name}`}
                        onClick={() => {
                          notice.clear();
                          created.clear();
                          edited.clear();
                          setEditDraft(draftOf(t));
                          setEditing(t);
                        }}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Delete template ${t.name}`}
                        onClick={() => remove(t)}
                      >
                        Delete
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
      <Dialog title="Edit template" open={editing !== null} onClose={() => setEditing(null)}>
        <form className="stack" onSubmit={save}>
          <TemplateFields draft={editDraft} onChange={setEditDraft} policies={policies} products={products} />
          <FormFooter feedback={edited.feedback} label="Save template" onCancel={() => setEditing(null)} />
        </form>
      </Dialog>
    </>
  );
}
