import { useCallback, useState } from 'react';
import { errorText } from './ui';

export interface Feedback {
  kind: 'success' | 'error';
  text: string;
}

/**
 * What a page says after an action: "Reseller “Shop” created." or the server's reason for refusing. `run`
 * clears the last message, runs the action and reports its outcome; it answers whether the action worked,
 * so a form can reset only after success.
 */
export function useFeedback() {
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const run = useCallback(async (action: () => Promise<unknown>, success: string): Promise<boolean> => {
    setFeedback(null);
    try {
      await action();
      setFeedback({ kind: 'success', text: success });
      return true;
    } catch (error) {
      setFeedback({ kind: 'error', text: errorText(error) });
      return false;
    }
  }, []);
  const succeeded = useCallback((text: string) => setFeedback({ kind: 'success', text }), []);
  const failed = useCallback((error: unknown) => setFeedback({ kind: 'error', text: errorText(error) }), []);
  return { feedback, run, succeeded, failed, clear: useCallback(() => setFeedback(null), []) };
}

/** A status line (polite) for successes, an alert for refusals. */
export function FeedbackNote({ feedback }: { feedback: Feedback | null }) {
  if (!feedback) return null;
  return feedback.kind === 'success' ? (
    <p className="note success" role="status">
      {feedback.text}
    </p>
  ) : (
    <p className="note error" role="alert">
      {feedback.text}
    </p>
  );
}

/** What a page keeps to say after an action it ran itself: a success, or (with `error`) a refusal. */
export interface Notice {
  text: string;
  error?: boolean;
}

export function NoticeNote({ notice }: { notice: Notice | null }) {
  return (
    <FeedbackNote feedback={notice && { kind: notice.error ? 'error' : 'success', text: notice.text }} />
  );
}

/** A success line (the flash a page was sent here with, what was just added), or nothing. */
export function SuccessNote({ text }: { text: string | null }) {
  return <FeedbackNote feedback={text ? { kind: 'success', text } : null} />;
}
