import { type Feedback, FeedbackNote } from './feedback';

/** The server's reason for refusing a form, read out as an alert; nothing while there is none. */
export function FormError({ error }: { error: string | null | undefined }) {
  return <FeedbackNote feedback={error ? { kind: 'error', text: error } : null} />;
}

export interface SubmitRowProps {
  label: string;
  /** While saving the button is disabled and says so, so a second click cannot send the form twice. */
  busy?: boolean;
  busyLabel?: string;
  disabled?: boolean;
  /** Dialogs offer a way out beside the submit button. */
  onCancel?: () => void;
}

/** The row of buttons that ends a form. */
export function SubmitRow({
  label,
  busy = false,
  busyLabel = 'Saving…',
  disabled = false,
  onCancel,
}: SubmitRowProps) {
  return (
    <div className="actions">
      {onCancel && (
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      )}
      <button type="submit" disabled={busy || disabled}>
        {busy ? busyLabel : label}
      </button>
    </div>
  );
}

/** The end of a form: what went wrong last time (or a page's feedback), then its buttons. */
export function FormFooter({
  error,
  feedback,
  ...submit
}: SubmitRowProps & { error?: string | null; feedback?: Feedback | null }) {
  return (
    <>
      <FormError error={error} />
      <FeedbackNote feedback={feedback ?? null} />
      <SubmitRow {...submit} />
    </>
  );
}
