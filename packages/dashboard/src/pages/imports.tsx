import { type ChangeEvent, type FormEvent, useEffect, useRef, useState } from 'react';
import { get, getAll, type ImportJob, type ImportKind, type Page, type Product, post } from '../api';
import { DataTable } from '../data-table';
import { useFeedback } from '../feedback';
import { FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { useCan } from '../session';
import { Empty, Field, formatDate, formatNumber, PageHeader, useAsync } from '../ui';

const KINDS: Array<{ value: ImportKind; label: string }> = [
  { value: 'csv', label: 'CSV file' },
  { value: 'cryptolens', label: 'Cryptolens (Web API 3)' },
  { value: 'limelm', label: 'LimeLM (web API)' },
  { value: 'authtool', label: 'AuthTool (public API)' },
];
const CREDENTIAL_LABEL: Record<Exclude<ImportKind, 'csv'>, string> = {
  cryptolens: 'Cryptolens access token',
  limelm: 'LimeLM API key',
  authtool: 'AuthTool API key',
};
/** The API takes at most 3 MiB of CSV text. */
const MAX_CSV_BYTES = 3 * 1024 * 1024;
const POLL_MS = 1500;

interface Draft {
  kind: ImportKind;
  source: string;
  credential: string;
  baseUrl: string;
  text: string;
  fileName: string | null;
  productIds: string;
  productId: string;
  productName: string;
}
const emptyDraft = (kind: ImportKind = 'csv'): Draft => ({
  kind,
  source: '',
  credential: '',
  baseUrl: '',
  text: '',
  fileName: null,
  productIds: '',
  productId: '',
  productName: '',
});

/** AuthTool keys: one a line, `#` starts a comment (as the command line reads a key file). */
const keysOf = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);

function bodyOf(draft: Draft): Record<string, unknown> {
  const common = {
    kind: draft.kind,
    ...(draft.source.trim() ? { source: draft.source.trim() } : {}),
    ...(draft.baseUrl.trim() ? { baseUrl: draft.baseUrl.trim() } : {}),
  };
  if (draft.kind === 'csv') return { ...common, csv: draft.text };
  const credential = { credential: draft.credential.trim() };
  if (draft.kind === 'cryptolens') {
    const ids = draft.productIds
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    return { ...common, ...credential, ...(ids.length ? { productIds: ids } : {}) };
  }
  if (draft.kind === 'authtool') {
    return {
      ...common,
      ...credential,
      keys: keysOf(draft.text),
      ...(draft.productId
        ? { productId: Number(draft.productId) }
        : { productName: draft.productName.trim() }),
    };
  }
  return { ...common, ...credential };
}

function JobRow({ job }: { job: ImportJob }) {
  const { done, total } = job.progress;
  const counts = Object.entries(job.counts)
    .filter(([, t]) => t.created + t.updated + t.skipped > 0)
    .map(([name, t]) => `${name}: ${t.created} created, ${t.updated} updated, ${t.skipped} skipped`);
  return (
    <tr>
      <td className="num">#{job.id}</td>
      <td>
        {job.kind}
        <div className="muted small">{job.source}</div>
      </td>
      <td>
        <span
          className={`badge ${job.status === 'succeeded' ? 'badge-active' : job.status === 'failed' ? 'badge-revoked' : 'badge-suspended'}`}
        >
          {job.status}
        </span>
        {job.replacesJobId ? <div className="muted small">in place of #{job.replacesJobId}</div> : null}
        {job.replacedByJobId ? <div className="muted small">replaced by #{job.replacedByJobId}</div> : null}
      </td>
      <td>
        {total !== null && total > 0 ? (
          <progress value={done} max={total} aria-label={`Import ${job.id} progress`} />
        ) : null}{' '}
        {formatNumber(done)}
        {total !== null ? ` of ${formatNumber(total)}` : ''}
      </td>
      <td className="import-details">
        {job.error ? (
          <span className="error-text">{job.error}</span>
        ) : counts.length ? (
          <ul className="plain">
            {counts.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        ) : (
          '—'
        )}
      </td>
      <td>
        {formatDate(job.createdAt)}
        {job.finishedAt ? <div className="muted small">ended {formatDate(job.finishedAt)}</div> : null}
      </td>
    </tr>
  );
}

export function ImportsPage() {
  const canWrite = useCan('imports:write');
  const jobs = useAsync(() => get<Page<ImportJob>>('/imports', { limit: 50 }), []);
  const products = useAsync(
    () => (canWrite ? getAll<Product>('/products') : Promise.resolve([])),
    [canWrite],
  );
  const [draft, setDraft] = useState<Draft>(emptyDraft());
  const fileInput = useRef<HTMLInputElement>(null);
  const { feedback, succeeded, failed, clear } = useFeedback();

  const running = (jobs.data?.data ?? []).some((job) => job.status === 'running');
  const { reload } = jobs;
  // Running jobs are read again until they end.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [running, reload]);

  const set = (changes: Partial<Draft>) => setDraft((d) => ({ ...d, ...changes }));
  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    clear();
    if (!file) return;
    if (file.size > MAX_CSV_BYTES) {
      failed(new Error(`${file.name} is larger than 3 MiB; split it or use \`keyward import csv\`.`));
      return;
    }
    set({ text: await file.text(), fileName: file.name });
  };
  const start = async (event: FormEvent) => {
    event.preventDefault();
    clear();
    try {
      const job = await post<ImportJob>('/imports', bodyOf(draft));
      const known = (jobs.data?.data ?? []).some((j) => j.id === job.id);
      succeeded(
        known
          ? `Import #${job.id} continues where it stopped.`
          : job.replacesJobId
            ? `Import #${job.id} started in place of import #${job.replacesJobId}: it reads the input from the start; records imported before are updated or skipped, never duplicated.`
            : `Import #${job.id} started.`,
      );
      setDraft(emptyDraft(draft.kind));
      if (fileInput.current) fileInput.current.value = '';
      jobs.reload();
    } catch (error) {
      failed(error);
    }
  };

  const needsText = draft.kind === 'csv' || draft.kind === 'authtool';
  return (
    <>
      <PageHeader title="Imports">
        Bring keys, machines and customers over from Cryptolens, LimeLM, AuthTool or a CSV file. Imports can
        be rerun: records are matched, never duplicated (docs/import.md).
      </PageHeader>
      {canWrite && (
        <form className="card stack" onSubmit={start} aria-labelledby="new-import">
          <h2 id="new-import">New import</h2>
          <div className="grid-2">
            <Field label="Import from">
              {(p) => (
                <select
                  {...p}
                  value={draft.kind}
                  onChange={(e) => {
                    clear();
                    setDraft(emptyDraft(e.target.value as ImportKind));
                    if (fileInput.current) fileInput.current.value = '';
                  }}
                >
                  {KINDS.map((k) => (
                    <option key={k.value} value={k.value}>
                      {k.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label="Source (optional)"
              hint="Names the account imported from; reruns with the same source update"
            >
              {(p) => (
                <input
                  {...p}
                  maxLength={200}
                  placeholder={draft.kind === 'csv' ? 'csv:default' : `${draft.kind}:<API address>`}
                  value={draft.source}
                  onChange={(e) => set({ source: e.target.value })}
                />
              )}
            </Field>
            {draft.kind !== 'csv' && (
              <>
                <Field
                  label={CREDENTIAL_LABEL[draft.kind]}
                  hint="Sealed while the job runs, erased when it ends"
                >
                  {(p) => (
                    <input
                      {...p}
                      type="password"
                      autoComplete="off"
                      required
                      maxLength={2000}
                      value={draft.credential}
                      onChange={(e) => set({ credential: e.target.value })}
                    />
                  )}
                </Field>
                <Field
                  label="API address (optional)"
                  hint="Another host of the vendor's API, e.g. a staging copy"
                >
                  {(p) => (
                    <input
                      {...p}
                      type="url"
                      maxLength={2048}
                      value={draft.baseUrl}
                      onChange={(e) => set({ baseUrl: e.target.value })}
                    />
                  )}
                </Field>
              </>
            )}
            {draft.kind === 'cryptolens' && (
              <Field
                label="Only product ids (optional)"
                hint="Cryptolens ProductIds, comma-separated; empty = all"
              >
                {(p) => (
                  <input
                    {...p}
                    inputMode="numeric"
                    pattern="[0-9, ]*"
                    value={draft.productIds}
                    onChange={(e) => set({ productIds: e.target.value })}
                  />
                )}
              </Field>
            )}
            {draft.kind === 'authtool' && (
              <>
                <Field label="Into product">
                  {(p) => (
                    <select
                      {...p}
                      value={draft.productId}
                      onChange={(e) => set({ productId: e.target.value })}
                    >
                      <option value="">a new product</option>
                      {(products.data ?? []).map((product) => (
                        <option key={product.id} value={product.id}>
                          {product.name}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                {!draft.productId && (
                  <Field label="New product name">
                    {(p) => (
                      <input
                        {...p}
                        required
                        maxLength={200}
                        value={draft.productName}
                        onChange={(e) => set({ productName: e.target.value })}
                      />
                    )}
                  </Field>
                )}
              </>
            )}
          </div>
          {needsText && (
            <>
              <Field
                label={draft.kind === 'csv' ? 'CSV file' : 'Key list file'}
                hint={
                  draft.kind === 'csv' ? 'UTF-8, a header row; columns in docs/import.md' : 'One key a line'
                }
              >
                {(p) => (
                  <input
                    {...p}
                    ref={fileInput}
                    type="file"
                    accept=".csv,.txt,text/csv,text/plain"
                    onChange={pick}
                  />
                )}
              </Field>
              <Field
                label={draft.kind === 'csv' ? 'CSV text' : 'Keys'}
                hint={draft.fileName ? `Read from ${draft.fileName}` : 'Or paste the text'}
              >
                {(p) => (
                  <textarea
                    {...p}
                    required
                    rows={5}
                    className="mono"
                    spellCheck={false}
                    value={draft.text}
                    onChange={(e) => set({ text: e.target.value, fileName: null })}
                  />
                )}
              </Field>
            </>
          )}
          <FormFooter feedback={feedback} label="Start import" />
        </form>
      )}
      <Loaded state={jobs} rows={(d) => d.data} empty={<Empty title="No imports yet" />}>
        {(rows) => (
          <DataTable
            caption="Import jobs, newest first"
            columns={[{ label: 'Job', numeric: true }, 'From', 'Status', 'Progress', 'Result', 'Started']}
            live
          >
            {rows.map((job) => (
              <JobRow key={job.id} job={job} />
            ))}
          </DataTable>
        )}
      </Loaded>
    </>
  );
}
