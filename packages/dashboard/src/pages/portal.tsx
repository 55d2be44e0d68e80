import { type ChangeEvent, type FormEvent, useEffect, useState } from 'react';
import { get, type PortalSettings, put } from '../api';
import { FeedbackNote, useFeedback } from '../feedback';
import { SubmitRow } from '../form-footer';
import { useCan } from '../session';
import { ErrorNote, Field, Loading, PageHeader, useAsync } from '../ui';

/** The server refuses larger logos; checked here first so the vendor hears it before uploading. */
const MAX_LOGO_CHARS = 65_536;
const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

type Draft = Omit<PortalSettings, 'publicUrl' | 'updatedAt'>;
type Action = keyof Draft['allowedActions'];

const ACTIONS: Array<{ key: Action; label: string }> = [
  { key: 'deactivation', label: 'Deactivate machines (within the license’s deactivation limit)' },
  { key: 'licenseFile', label: 'Download license files' },
  { key: 'offlineActivation', label: 'Answer offline (air-gapped) activation requests' },
];

const readDataUrl = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

/** Sets up the customer portal: whether it is on, how it looks, and what customers may do there. */
export function PortalPage() {
  const canEdit = useCan('portal:write');
  const loaded = useAsync(() => get<PortalSettings>('/portal/settings'), []);
  const [draft, setDraft] = useState<Draft | null>(null);
  const { feedback, run, failed, clear } = useFeedback();

  useEffect(() => {
    if (!loaded.data) return;
    const { publicUrl: _url, updatedAt: _at, ...rest } = loaded.data;
    setDraft(rest);
  }, [loaded.data]);

  if (loaded.error) return <ErrorNote error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data || !draft) return <Loading />;
  const { publicUrl } = loaded.data;
  const portalUrl = publicUrl ? `${publicUrl}/portal/` : null;
  const change = (changes: Partial<Draft>) => setDraft({ ...draft, ...changes });

  const pickLogo = async (event: ChangeEvent<HTMLInputElement>) => {
    clear();
    const file = event.target.files?.[0];
    if (!file) return;
    if (!LOGO_TYPES.includes(file.type)) {
      failed(new Error('The logo must be a PNG, JPEG, GIF or WebP image.'));
      return;
    }
    const dataUrl = await readDataUrl(file);
    if (dataUrl.length > MAX_LOGO_CHARS) {
      failed(
        new Error(
          `${file.name} is too large: the logo may be about ${Math.floor((MAX_LOGO_CHARS * 3) / 4 / 1024)} KiB.`,
        ),
      );
      return;
    }
    change({ logoDataUrl: dataUrl });
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const saved = await put<PortalSettings>('/portal/settings', draft);
      const { publicUrl: _url, updatedAt: _at, ...rest } = saved;
      setDraft(rest);
    }, 'Portal settings saved.');
  };

  return (
    <>
      <PageHeader title="Customer portal">
        Your customers sign in with a one-time link sent to their email, see their licenses and machines, and
        take the actions you allow.
      </PageHeader>
      <section className="card stack" aria-labelledby="portal-address">
        <h2 id="portal-address">Address</h2>
        {portalUrl ? (
          <p>
            Customers open <a href={portalUrl}>{portalUrl}</a>; sign-in links point there.
          </p>
        ) : (
          <p className="note error" role="alert">
            The server's public URL (KEYWARD_PUBLIC_URL) is not set, so no sign-in link can be emailed:
            customers asking for one get no email. Set it to the address customers reach this server at, and
            restart.
          </p>
        )}
      </section>
      <form className="card stack" onSubmit={save} aria-labelledby="portal-settings">
        <h2 id="portal-settings">Settings</h2>
        <fieldset disabled={!canEdit} className="stack plain">
          <label className="inline">
            <input
              type="checkbox"
              checked={draft.isEnabled}
              onChange={(e) => change({ isEnabled: e.target.checked })}
            />{' '}
            Portal enabled
          </label>
          <Field label="Name shown to customers">
            {(p) => (
              <input
                {...p}
                required
                maxLength={100}
                value={draft.displayName}
                onChange={(e) => change({ displayName: e.target.value })}
              />
            )}
          </Field>
          <Field label="Primary colour">
            {(p) => (
              <input
                {...p}
                type="color"
                value={draft.primaryColor}
                onChange={(e) => change({ primaryColor: e.target.value })}
              />
            )}
          </Field>
          <Field label="Accent colour">
            {(p) => (
              <input
                {...p}
                type="color"
                value={draft.accentColor}
                onChange={(e) => change({ accentColor: e.target.value })}
              />
            )}
          </Field>
          <Field label="Logo" hint="PNG, JPEG, GIF or WebP, up to about 48 KiB; stored with the settings">
            {(p) => <input {...p} type="file" accept={LOGO_TYPES.join(',')} onChange={pickLogo} />}
          </Field>
          {draft.logoDataUrl && (
            <div className="actions">
              <img src={draft.logoDataUrl} alt="Current logo" height={40} />
              <button type="button" className="secondary small" onClick={() => change({ logoDataUrl: null })}>
                Remove logo
              </button>
            </div>
          )}
          <fieldset className="stack">
            <legend>Customers may</legend>
            {ACTIONS.map(({ key, label }) => (
              <label key={key} className="inline">
                <input
                  type="checkbox"
                  checked={draft.allowedActions[key]}
                  onChange={(e) =>
                    change({ allowedActions: { ...draft.allowedActions, [key]: e.target.checked } })
                  }
                />{' '}
                {label}
              </label>
            ))}
          </fieldset>
        </fieldset>
        <FeedbackNote feedback={feedback} />
        {canEdit ? (
          <SubmitRow label="Save settings" />
        ) : (
          <p className="note">Changing the portal needs the right to manage it.</p>
        )}
      </form>
    </>
  );
}
