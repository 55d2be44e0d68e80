import { type FormEvent, useState } from 'react';
import { type OfflineAnswer, portalApi } from './portal-api';

/** Answers the request file an air-gapped machine wrote; the signed response goes back to the machine. */
export function OfflineForm({
  allowDeactivation,
  onAnswered,
  onError,
}: {
  allowDeactivation: boolean;
  onAnswered: () => void;
  onError: (error: unknown) => void;
}) {
  const [request, setRequest] = useState('');
  const [answer, setAnswer] = useState<OfflineAnswer | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setAnswer(null);
    try {
      setAnswer(await portalApi<OfflineAnswer>('POST', '/offline-responses', { request: request.trim() }));
      setRequest('');
      onAnswered();
    } catch (error) {
      onError(error);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="offline">
      <h2 id="offline">Activate a machine without internet</h2>
      <p>
        Paste the request file your application wrote on the offline machine
        {allowDeactivation ? ' (an activation or a deactivation)' : ''}, then copy the response back to it.
      </p>
      <label htmlFor="offline-request">Request</label>
      <textarea
        id="offline-request"
        required
        rows={5}
        className="mono"
        spellCheck={false}
        value={request}
        onChange={(e) => setRequest(e.target.value)}
      />
      <button type="submit">Answer request</button>
      {answer && (
        <div role="status">
          {answer.response ? (
            <>
              <p className="note success">Machine activated. Give it this response:</p>
              <textarea readOnly rows={5} className="mono" value={answer.response} aria-label="Response" />
            </>
          ) : (
            <p className="note success">The machine was deactivated; its seat is free again.</p>
          )}
        </div>
      )}
    </form>
  );
}
