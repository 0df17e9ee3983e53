/**
 * Numbers and digits as prompt ids (prompts/<lang>/number-*.wav, digit-*.wav),
 * e.g. 342 → number-300 number-40 number-2. Numbers from 0 to 999 are spoken
 * as words; larger ones digit by digit (positions and minutes never get there).
 * `minutesWord` picks the Russian plural form (1 минута, 2 минуты, 5 минут);
 * English uses minute-1 for one and minute-5 ("minutes") otherwise.
 */
export function numberPrompts(n: number, gender: 'm' | 'f' = 'm'): string[] {
  const value = Math.max(0, Math.round(n));
  if (value > 999) return digitPrompts(String(value));
  if (value <= 20) return [wordFor(value, gender)];
  const out: string[] = [];
  const hundreds = Math.floor(value / 100) * 100;
  let rest = value % 100;
  if (hundreds > 0) out.push(`number-${hundreds}`);
  if (rest > 20) {
    const tens = Math.floor(rest / 10) * 10;
    out.push(`number-${tens}`);
    rest %= 10;
    if (rest > 0) out.push(wordFor(rest, gender));
  } else if (rest > 0) out.push(wordFor(rest, gender));
  return out;
}

function wordFor(n: number, gender: 'm' | 'f'): string {
  return gender === 'f' && (n === 1 || n === 2) ? `number-${n}-f` : `number-${n}`;
}

export function digitPrompts(text: string): string[] {
  return [...text].filter((c) => c >= '0' && c <= '9').map((c) => `digit-${c}`);
}

/** minute-1 / minute-2 / minute-5: the Russian plural rule (also right for English: 1 vs other). */
export function minutesWord(n: number, language: string): string {
  if (language !== 'ru') return n === 1 ? 'minute-1' : 'minute-5';
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return 'minute-1';
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return 'minute-2';
  return 'minute-5';
}

/** Fill `${name}` placeholders from the call's variables (missing ones become ''). */
export function fillTemplate(template: string, vars: ReadonlyMap<string, string | number | boolean>, encode: (s: string) => string = (s) => s): string {
  return template.replace(/\$\{([A-Za-z_][\w.]*)\}/g, (_, name: string) => encode(String(vars.get(name) ?? '')));
}
