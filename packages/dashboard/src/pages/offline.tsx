import { type ChangeEvent, type FormEvent, useRef, useState } from 'react';
import { type OfflineAnswer, post } from '../api';
import { download } from '../csv';
import { useFeedback } from '../feedback';
import { FormFooter } from '../form-footer';
import { Link } from '../router';
import { useCan } from '../session';
import { CopyButton, Field, PageHeader } from '../ui';

/** A request file is at most 16 KiB of text; anything much larger is not one. */
const MAX_FILE_BYTES = 64 * 1024;

const outcomeOf = (answer: OfflineAnswer): string => {
  switch (answer.type) {
    case 'activation':
      return `Machine #${answer.machineId} activated. Send the response file back to the machine.`;
    case 'deactivation':
      return `Machine #${answer.machineId} deactivated; its seat is free again. No response file is needed.`;
    case 'verified-trial':
      return `Verified trial #${answer.trialId} started. Send the response file back to the machine.`;
  }
};

export function OfflinePage() {
  const canAnswer = useCan('machines:write');
  const [request, setRequest] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [answer, setAnswer] = useState<OfflineAnswer | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const { feedback, failed, clear } = useFeedback();

  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    clear();
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      failed(
        new Error(`${file.name} is ${Math.round(file.size / 1024)} KiB: a request file is at most 16 KiB.`),
      );
      return;
    }
    setRequest(await file.text());
    setFileName(file.name);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    clear();
    try {
      setAnswer(await post<OfflineAnswer>('/offline/responses', { request: request.trim() }));
      // The form is ready for the next machine's request; the answer stays until then.
      setRequest('');
      setFileName(null);
      if (fileInput.current) fileInput.current.value = '';
    } catch (error) {
      setAnswer(null);
      failed(error);
    }
  };
  const responseName = (a: OfflineAnswer) =>
    `keyward-response-${a.type}-${a.machineId ?? a.trialId ?? a.nonce}.txt`;

  return (
    <>
      <PageHeader title="Offline requests">
        Machines without a network send a request file (from the SDK or LimeLM's manual activation); answer it
        here and send the signed response file back.
      </PageHeader>
      {!canAnswer ? (
        <p className="note">Answering requests needs the right to manage machines.</p>
      ) : (
        <form className="card stack" onSubmit={submit} aria-labelledby="offline-request">
          <h2 id="offline-request">Answer a request</h2>
          <Field label="Request file" hint="The file the machine wrote, e.g. request.txt">
            {(p) => (
              <input {...p} ref={fileInput} type="file" accept=".txt,.req,text/plain" onChange={pick} />
            )}
          </Field>
          <Field
            label="Request"
            hint={
              fileName
                ? `Read from ${fileName}; you may also paste the text`
                : 'Or paste the text of the file'
            }
          >
            {(p) => (
              <textarea
                {...p}
                required
                rows={6}
                className="mono"
                spellCheck={false}
                value={request}
                onChange={(e) => {
                  setRequest(e.target.value);
                  setFileName(null);
                }}
              />
            )}
          </Field>
          <FormFooter feedback={feedback} label="Answer request" />
        </form>
      )}
      {answer && (
        <section className="card stack" aria-labelledby="offline-answer">
          <h2 id="offline-answer">Answered</h2>
          <p className="note success" role="status">
            {outcomeOf(answer)}
          </p>
          {answer.response && (
            <>
              <pre className="key-block">{answer.response}</pre>
              <div className="actions">
                <button
                  type="button"
                  onClick={() =>
                    download(responseName(answer), `${answer.response}\n`, 'text/plain;charset=utf-8')
                  }
                >
                  Download response file
                </button>
                <CopyButton text={answer.response} label="Copy response" />
              </div>
            </>
          )}
          {answer.machineId !== null && (
            <p className="muted">
              The machine is listed on its license's page; find the license by key on{' '}
              <Link href="/licenses">Licenses</Link>.
            </p>
          )}
        </section>
      )}
    </>
  );
}
