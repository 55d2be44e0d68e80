/**
 * How keys are searched. A key's search form is the key with ASCII letters in capitals and without dashes
 * and spaces, so `jnqn5`, `JNQN5DZ45R`, `dz-45r` and `DZ45R` all find `JNQN5-DZ45R-…`. The databases keep the
 * search form of every key in an indexed column that they compute themselves (migration
 * 013-license-key-search), with exactly this rule: only ASCII letters change case, as SQLite's `upper`.
 */
export function keySearchForm(text: string): string {
  return text.replace(/[- ]/g, '').replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/** Trigram indexes need three characters; a shorter fragment matches the beginning of keys only. */
export const MIN_FRAGMENT_LENGTH = 3;

export interface KeySearch {
  /** The search form of the fragment. */
  form: string;
  /** `contains`: anywhere in the key; `prefix`: at its beginning. */
  match: 'contains' | 'prefix';
}

/** What a typed fragment asks for; null when nothing is left to match (empty, or only dashes and spaces). */
export function keySearch(fragment: string): KeySearch | null {
  const form = keySearchForm(fragment.trim());
  if (form === '') return null;
  return { form, match: [...form].length >= MIN_FRAGMENT_LENGTH ? 'contains' : 'prefix' };
}
