/**
 * Words shared by the two validators people read errors from — hotline.yaml
 * (src/config.ts) and the IVR flow files (src/ivr/) — so both say "expected a
 * list" rather than "expected array", and suggest the same near names.
 */

/** zod's type names in YAML words. */
export const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** "expected at least 1 item", "expected a non-empty string", "expected a number <= 10". */
export function bound(origin: string, op: string, n: number): string {
  if (origin === 'array') return op === '>=' ? `expected at least ${n} item${n === 1 ? '' : 's'}` : `expected at most ${n} items`;
  if (origin === 'string') return op === '>=' && n === 1 ? 'expected a non-empty string' : `expected a string of length ${op} ${n}`;
  return `expected a number ${op} ${n}`;
}

/** Levenshtein distance, for "did you mean" hints on short names. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
