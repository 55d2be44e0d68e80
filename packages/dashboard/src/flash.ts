/**
 * A message for the next page: what happened on a page the user has just left, such as "License … deleted."
 * shown by the list it led back to. Read once.
 */
let pending: { path: string; text: string } | null = null;

export function flashOn(path: string, text: string): void {
  pending = { path, text };
}

/** The message left for this path, once (call it from a state initializer). */
export function takeFlash(path: string): string | null {
  if (!pending || pending.path !== path) return null;
  const { text } = pending;
  pending = null;
  return text;
}
