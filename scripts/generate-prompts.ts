/**
 * Generates hotline's default audio prompts for the demo ISP hotline:
 *
 *   prompts/ru/<id>.wav, prompts/en/<id>.wav   speech (espeak-ng), same file names per language
 *   prompts/beep.wav                           1 kHz tone, language-neutral
 *   prompts/music/hold.wav                     hold music synthesized right here (no recordings)
 *   prompts/index.json                         manifest the IVR layer validates flows against
 *   prompts/README.md                          the texts and formats, for humans
 *
 * Every file is 8 kHz mono G.711 µ-law WAV, the format the embedded media engine
 * plays without transcoding. Run with `npm run prompts`; needs `espeak-ng` and
 * `sox` (`apt-get install -y espeak-ng sox`). The texts below are the single
 * source: edit them here and regenerate, never edit the WAVs or the README by hand.
 *
 * Output is reproducible (sox runs without dither, espeak-ng is deterministic),
 * so regenerating without changing a text leaves git with nothing to commit.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'prompts');
const RATE = 8000;

// ---------------------------------------------------------------------------
// Texts

const LANGUAGES = ['ru', 'en'] as const;
type Lang = (typeof LANGUAGES)[number];
type Texts = Record<Lang, string>;

interface Prompt extends Texts {
  id: string;
}

/**
 * espeak-ng voice and speed per language. 150 words/min (default 175) is
 * easier to follow through a narrow-band phone line.
 */
const VOICES: Record<Lang, { voice: string; speed: number }> = {
  ru: { voice: 'ru', speed: 150 },
  en: { voice: 'en-us', speed: 150 },
};

/**
 * Spoken phrases. Digits inside sentences are written as words so espeak-ng
 * cannot pick a surprising reading. "Хот-лайн" is hyphenated on purpose: written
 * as one word espeak-ng stresses the first syllable ("хо́тлайн").
 */
const PHRASES: Prompt[] = [
  {
    id: 'greeting',
    ru: 'Здравствуйте! Вы позвонили в службу поддержки компании Хот-лайн Телеком.',
    en: 'Hello, you have called the support line of Hotline Telecom.',
  },
  {
    id: 'main-menu',
    ru:
      'По вопросам интернета нажмите один. По вопросам кабельного телевидения нажмите два. ' +
      'По тарифам и оплате нажмите три. Для связи с оператором нажмите ноль. ' +
      'Для английского языка нажмите девять.',
    en:
      'For internet, press one. For cable TV, press two. For tariffs and billing, press three. ' +
      'For an operator, press zero. For Russian, press nine.',
  },
  {
    id: 'enter-contract',
    ru: 'Пожалуйста, введите номер вашего договора и нажмите решётку.',
    en: 'Please enter your contract number followed by the hash key.',
  },
  {
    id: 'invalid-choice',
    ru: 'Неверный выбор. Пожалуйста, попробуйте ещё раз.',
    en: 'Sorry, that is not a valid choice. Please try again.',
  },
  {
    id: 'please-hold',
    ru: 'Пожалуйста, оставайтесь на линии, оператор скоро вам ответит.',
    en: 'Please hold, an operator will answer you shortly.',
  },
  // your-position + number-N; estimated-wait + number-N(-f) + minute-K.
  { id: 'your-position', ru: 'Ваш номер в очереди', en: 'Your position in the queue is' },
  // "примерно" (not "около") keeps the number after it in the nominative case.
  { id: 'estimated-wait', ru: 'Время ожидания составляет примерно', en: 'The estimated waiting time is about' },
  // Russian plural classes by the last digits: 1 → минута, 2–4 → минуты, 0/5–20 → минут.
  { id: 'minute-1', ru: 'минута', en: 'minute' },
  { id: 'minute-2', ru: 'минуты', en: 'minutes' },
  { id: 'minute-5', ru: 'минут', en: 'minutes' },
  {
    id: 'thank-you-for-waiting',
    ru: 'Спасибо за ожидание. Пожалуйста, оставайтесь на линии.',
    en: 'Thank you for waiting. Please stay on the line.',
  },
  {
    id: 'outage-notice-intro',
    ru: 'В вашем районе зарегистрирована авария. Наши специалисты уже работают над её устранением.',
    en: 'There is a known outage in your area. Our engineers are already working on it.',
  },
  {
    id: 'callback-offer',
    ru: 'Чтобы не ждать на линии и заказать обратный звонок, нажмите звёздочку.',
    en: 'To be called back instead of waiting, press star.',
  },
  {
    // "Мы приняли вашу заявку", not "заявка принята": espeak-ng stresses "при́нята".
    id: 'callback-confirmed',
    ru: 'Мы приняли вашу заявку на обратный звонок и перезвоним вам, как только освободится оператор.',
    en: 'Your callback request has been accepted. We will call you back as soon as an operator is free.',
  },
  {
    id: 'survey-question',
    ru: 'Пожалуйста, оцените качество обслуживания по шкале от одного до пяти.',
    en: 'Please rate the quality of the service from one to five.',
  },
  { id: 'survey-thanks', ru: 'Спасибо за вашу оценку!', en: 'Thank you for your rating!' },
  { id: 'goodbye', ru: 'Спасибо за звонок. До свидания!', en: 'Thank you for calling. Goodbye!' },
  {
    // "eight in the morning" rather than "8 am": espeak-ng may read "am" as a word.
    id: 'after-hours',
    ru:
      'Наши операторы работают с восьми утра до десяти вечера. ' +
      'Пожалуйста, перезвоните позже или оставьте заявку на обратный звонок.',
    en:
      'Our operators work from eight in the morning to ten in the evening. ' +
      'Please call back later or leave a callback request.',
  },
  { id: 'transfer', ru: 'Переводим ваш звонок.', en: 'Transferring your call.' },
  // Operator feature codes (heard on the operator's softphone, not by subscribers).
  { id: 'agent-logged-in', ru: 'Вы вошли в систему.', en: 'You are logged in.' },
  { id: 'agent-logged-out', ru: 'Вы вышли из системы.', en: 'You are logged out.' },
  { id: 'agent-on-break', ru: 'Вы на перерыве.', en: 'You are on a break.' },
  { id: 'agent-ready', ru: 'Вы готовы принимать звонки.', en: 'You are ready to take calls.' },
];

/** Cardinals 0–20, tens and hundreds; masculine 1 and 2 in Russian. */
const NUMBER_WORDS: Record<number, Texts> = {
  0: { ru: 'ноль', en: 'zero' },
  1: { ru: 'один', en: 'one' },
  2: { ru: 'два', en: 'two' },
  3: { ru: 'три', en: 'three' },
  4: { ru: 'четыре', en: 'four' },
  5: { ru: 'пять', en: 'five' },
  6: { ru: 'шесть', en: 'six' },
  7: { ru: 'семь', en: 'seven' },
  8: { ru: 'восемь', en: 'eight' },
  9: { ru: 'девять', en: 'nine' },
  10: { ru: 'десять', en: 'ten' },
  11: { ru: 'одиннадцать', en: 'eleven' },
  12: { ru: 'двенадцать', en: 'twelve' },
  13: { ru: 'тринадцать', en: 'thirteen' },
  14: { ru: 'четырнадцать', en: 'fourteen' },
  15: { ru: 'пятнадцать', en: 'fifteen' },
  16: { ru: 'шестнадцать', en: 'sixteen' },
  17: { ru: 'семнадцать', en: 'seventeen' },
  18: { ru: 'восемнадцать', en: 'eighteen' },
  19: { ru: 'девятнадцать', en: 'nineteen' },
  20: { ru: 'двадцать', en: 'twenty' },
  30: { ru: 'тридцать', en: 'thirty' },
  40: { ru: 'сорок', en: 'forty' },
  50: { ru: 'пятьдесят', en: 'fifty' },
  60: { ru: 'шестьдесят', en: 'sixty' },
  70: { ru: 'семьдесят', en: 'seventy' },
  80: { ru: 'восемьдесят', en: 'eighty' },
  90: { ru: 'девяносто', en: 'ninety' },
  100: { ru: 'сто', en: 'one hundred' },
  200: { ru: 'двести', en: 'two hundred' },
  300: { ru: 'триста', en: 'three hundred' },
  400: { ru: 'четыреста', en: 'four hundred' },
  500: { ru: 'пятьсот', en: 'five hundred' },
  600: { ru: 'шестьсот', en: 'six hundred' },
  700: { ru: 'семьсот', en: 'seven hundred' },
  800: { ru: 'восемьсот', en: 'eight hundred' },
  900: { ru: 'девятьсот', en: 'nine hundred' },
};

/**
 * Feminine forms for nouns like "минута" ("одна минута", "две минуты").
 * English has no gender: the same words, so both languages keep one file set.
 */
const FEMININE: Prompt[] = [
  { id: 'number-1-f', ru: 'одна', en: 'one' },
  { id: 'number-2-f', ru: 'две', en: 'two' },
];

function numberPrompts(): Prompt[] {
  const numbers = Object.keys(NUMBER_WORDS)
    .map(Number)
    .sort((a, b) => a - b)
    .map((n) => ({ id: `number-${n}`, ...(NUMBER_WORDS[n] as Texts) }));
  return [...numbers, ...FEMININE];
}

/** digit-N for reading back contract numbers digit by digit. */
function digitPrompts(): Prompt[] {
  const digits: Prompt[] = [];
  for (let d = 0; d <= 9; d++) digits.push({ id: `digit-${d}`, ...(NUMBER_WORDS[d] as Texts) });
  return digits;
}

function allPrompts(): Prompt[] {
  return [...PHRASES, ...digitPrompts(), ...numberPrompts()];
}

// ---------------------------------------------------------------------------
// Tools

function run(tool: string, args: string[]): void {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${tool} not found: install it with \`apt-get install -y espeak-ng sox\``, { cause: err });
    }
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`${tool} ${args.join(' ')} failed: ${stderr}`, { cause: err });
  }
}

/**
 * Output options shared by every sox call: 8 kHz mono µ-law. `-D` turns off
 * dither, which would add random noise and make every run's files differ.
 */
const ULAW_OUT = ['-D', '-r', String(RATE), '-c', '1', '-e', 'mu-law'];

/**
 * Speak `text` into an 8 kHz µ-law WAV.
 *
 * sox effects, in order: trim the silence espeak-ng leaves at both ends (a
 * 0.5% threshold only cuts true silence, never quiet consonants), resample,
 * normalise peaks to -3 dBFS so all prompts play at one level, then put back
 * 50 ms of silence at each end so concatenated prompts ("your position is" +
 * "five") have a natural gap and the first phoneme is not clipped by a player
 * that starts mid-packet.
 */
function speak(text: string, lang: Lang, outFile: string, tmp: string): void {
  const raw = join(tmp, 'espeak.wav');
  const { voice, speed } = VOICES[lang];
  // -z: no extra end-of-sentence pause (we trim and pad ourselves).
  run('espeak-ng', ['-v', voice, '-s', String(speed), '-z', '-w', raw, text]);
  run('sox', [
    raw, ...ULAW_OUT, outFile,
    'silence', '1', '0.01', '0.5%', 'reverse', 'silence', '1', '0.01', '0.5%', 'reverse',
    'rate', String(RATE),
    'gain', '-n', '-3',
    'pad', '0.05', '0.05',
  ]);
}

/**
 * The "speak now" / "recording starts" tone: 1 kHz, 250 ms, 5 ms ramps so it
 * does not click. A sine at -15 dBFS peak is about as loud (RMS) as speech
 * normalised to -3 dBFS peak; at -3 dBFS it would be painfully louder.
 */
function beep(outFile: string): void {
  run('sox', ['-n', ...ULAW_OUT, outFile, 'synth', '0.25', 'sine', '1000', 'fade', 'h', '0.005', '0.25', '0.005', 'gain', '-n', '-15']);
}

// ---------------------------------------------------------------------------
// Hold music: a 30 s loop synthesized sample by sample.

interface Instrument {
  /** Relative amplitudes of harmonics 1, 2, 3… (partials above 3.4 kHz are dropped). */
  partials: number[];
  attack: number;
  /** Exponential decay time constant while held; Infinity for a sustained pad. */
  decay: number;
  release: number;
  gain: number;
}

interface Note {
  start: number;
  duration: number;
  midi: number;
  instrument: Instrument;
}

/** Soft sustained chord: slow attack and release, so chord changes blend. */
const PAD: Instrument = { partials: [1, 0.3, 0.1], attack: 0.4, decay: Infinity, release: 0.6, gain: 0.16 };
/** Round plucked bass; 2nd and 3rd harmonics make it audible on handsets that cut below 300 Hz. */
const BASS: Instrument = { partials: [1, 0.5, 0.25], attack: 0.01, decay: 0.8, release: 0.2, gain: 0.35 };
/** Music-box arpeggio on top. */
const BELL: Instrument = { partials: [1, 0.25, 0.08], attack: 0.005, decay: 0.35, release: 0.15, gain: 0.22 };

const BEAT = 60 / 96; // 96 bpm: calm, not sleepy
const BAR = 4 * BEAT; // 2.5 s
const LOWPASS_HZ = 3400; // telephone band

/** Chords as [root for the bass, three pad notes] in MIDI numbers (60 = middle C). */
const CHORDS = {
  C: [48, 60, 64, 67],
  G: [55, 59, 62, 67],
  Am: [45, 60, 64, 69],
  Em: [52, 59, 64, 67],
  F: [53, 60, 65, 69],
  Dm: [50, 62, 65, 69],
} as const;
type Chord = keyof typeof CHORDS;

/**
 * Twelve bars (30 s): an eight-bar phrase and a four-bar answer. It ends on G
 * so the jump back to the opening C at the loop seam sounds like a cadence, not a cut.
 */
const PROGRESSION: Chord[] = ['C', 'G', 'Am', 'Em', 'F', 'C', 'Dm', 'G', 'C', 'Am', 'F', 'G'];

/** Eighth-note arpeggio patterns, as indices into the chord's pad notes an octave up and two octaves up. */
const ARPEGGIOS = [
  [0, 1, 2, 3, 4, 3, 2, 1],
  [0, 2, 1, 3, 2, 4, 3, 1],
];

function midiToHz(midi: number): number {
  return 440 * 2 ** ((midi - 69) / 12);
}

function barNotes(chord: Chord, bar: number, last: boolean): Note[] {
  const [root, ...pad] = CHORDS[chord];
  const start = bar * BAR;
  // The final bar stops halfway and lets everything ring out before the loop
  // point, so the seam falls in near-silence (a phrase boundary), not mid-note.
  const held = last ? BAR / 2 : BAR;
  const notes: Note[] = pad.map((midi) => ({ start, duration: held, midi, instrument: PAD }));
  notes.push({ start, duration: 2 * BEAT, midi: root as number, instrument: BASS });
  if (!last) notes.push({ start: start + 2 * BEAT, duration: 2 * BEAT, midi: (root as number) + 7, instrument: BASS });

  const tones = [...pad.map((m) => m + 12), ...pad.map((m) => m + 24)];
  const pattern = ARPEGGIOS[Math.floor(bar / 4) % ARPEGGIOS.length] as number[];
  const eighths = last ? 4 : 8;
  for (let i = 0; i < eighths; i++) {
    const midi = tones[pattern[i] as number] as number;
    notes.push({ start: start + (i * BEAT) / 2, duration: BEAT / 2, midi, instrument: BELL });
  }
  return notes;
}

function composeHoldMusic(): Note[] {
  return PROGRESSION.flatMap((chord, bar) => barNotes(chord, bar, bar === PROGRESSION.length - 1));
}

/** Amplitude envelope at `t` seconds into a note: raised-sine attack, exponential decay, cosine release. */
function envelope(t: number, note: Note): number {
  const { attack, decay, release } = note.instrument;
  const rise = t < attack ? Math.sin((Math.PI / 2) * (t / attack)) ** 2 : 1;
  const body = decay === Infinity ? 1 : Math.exp(-t / decay);
  const after = t - note.duration;
  const fall = after <= 0 ? 1 : after >= release ? 0 : Math.cos((Math.PI / 2) * (after / release)) ** 2;
  return rise * body * fall;
}

/** Add one note into `mix`. Partials at or above the telephone band are skipped (they would alias or be filtered anyway). */
function renderNote(mix: Float32Array, note: Note): void {
  const f0 = midiToHz(note.midi);
  const partials = note.instrument.partials
    .map((amp, i) => ({ freq: f0 * (i + 1), amp }))
    .filter((p) => p.freq < LOWPASS_HZ);
  const first = Math.round(note.start * RATE);
  const length = Math.round((note.duration + note.instrument.release) * RATE);
  const end = Math.min(mix.length, first + length);
  for (let n = first; n < end; n++) {
    const t = (n - first) / RATE;
    let v = 0;
    for (const p of partials) v += p.amp * Math.sin(2 * Math.PI * p.freq * t);
    mix[n] = (mix[n] as number) + v * envelope(t, note) * note.instrument.gain;
  }
}

/**
 * Short raised-sine fades at both ends of the loop. The music is already quiet
 * there; the fades make sure nothing starts or stops mid-cycle, which would
 * click at every repeat. sin² keeps the first 10 ms below -30 dBFS.
 */
function fadeEdges(mix: Float32Array, fadeIn: number, fadeOut: number): void {
  const ramp = (i: number, n: number): number => Math.sin((Math.PI / 2) * (i / n)) ** 2;
  const inN = Math.round(fadeIn * RATE);
  const outN = Math.round(fadeOut * RATE);
  for (let i = 0; i < inN && i < mix.length; i++) mix[i] = (mix[i] as number) * ramp(i, inN);
  for (let i = 0; i < outN && i < mix.length; i++) {
    const n = mix.length - 1 - i;
    mix[n] = (mix[n] as number) * ramp(i, outN);
  }
}

/** Scale to the wanted peak (in dBFS) and quantise to 16-bit. */
function toPcm16(mix: Float32Array, peakDbfs: number): Int16Array {
  let peak = 0;
  for (const v of mix) peak = Math.max(peak, Math.abs(v));
  const scale = peak === 0 ? 0 : (10 ** (peakDbfs / 20) * 32767) / peak;
  return Int16Array.from(mix, (v) => Math.round(v * scale));
}

/** A canonical 44-byte-header PCM16 mono WAV. */
function pcm16Wav(samples: Int16Array, rate: number): Buffer {
  const dataBytes = samples.length * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'latin1');
  wav.write('fmt ', 12, 'latin1');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) wav.writeInt16LE(samples[i] as number, 44 + i * 2);
  return wav;
}

/**
 * Render the loop to a 16-bit WAV, then let sox lowpass it to the telephone
 * band and encode it as µ-law with peaks at -6 dBFS (music sits a little under speech).
 */
function holdMusic(outFile: string, tmp: string): void {
  const mix = new Float32Array(Math.round(PROGRESSION.length * BAR * RATE));
  for (const note of composeHoldMusic()) renderNote(mix, note);
  fadeEdges(mix, 0.1, 0.5);
  const pcm = join(tmp, 'hold-pcm16.wav');
  writeFileSync(pcm, pcm16Wav(toPcm16(mix, -6), RATE));
  run('sox', [pcm, ...ULAW_OUT, outFile, 'lowpass', String(LOWPASS_HZ), 'gain', '-n', '-6']);
}

// ---------------------------------------------------------------------------
// Manifest and README

const SOUNDS = { beep: 'beep.wav', hold: 'music/hold.wav' };

function manifest(prompts: Prompt[]): string {
  const byId: Record<string, Texts> = {};
  for (const p of prompts) byId[p.id] = { ru: p.ru, en: p.en };
  return `${JSON.stringify({ languages: LANGUAGES, prompts: byId, sounds: SOUNDS }, null, 2)}\n`;
}

function textTable(prompts: Prompt[], lang: Lang): string {
  const rows = prompts.map((p) => `| \`${p.id}\` | ${p[lang]} |`);
  return ['| id | text |', '|---|---|', ...rows].join('\n');
}

function readme(prompts: Prompt[]): string {
  return `# Default prompts

Audio for the demo ISP hotline ("Hotline Telecom"), generated by
\`scripts/generate-prompts.ts\`. **Do not edit these files by hand**: change the texts
in the script and run

\`\`\`
npm run prompts      # needs espeak-ng and sox: apt-get install -y espeak-ng sox
\`\`\`

This README and \`index.json\` are generated too. The output is reproducible: regenerating
without changing a text changes no file.

## Layout

| path | what |
|---|---|
| \`ru/<id>.wav\`, \`en/<id>.wav\` | speech, one file per prompt id; both folders hold the same file names |
| \`beep.wav\` | 1 kHz tone, 250 ms, language-neutral (one copy, not one per language) |
| \`music/hold.wav\` | hold music, a ${Math.round(PROGRESSION.length * BAR)} s loop |
| \`index.json\` | manifest: \`languages\`, \`prompts\` (id → text per language), \`sounds\` (beep and hold music, paths relative to this folder) |

The IVR layer resolves prompt \`<id>\` for language \`<lang>\` to \`prompts/<lang>/<id>.wav\` and
checks flows against \`index.json\`.

## Format

Every file is 8000 Hz, mono, G.711 µ-law (format tag 7), 8 bits per sample, in a RIFF WAV
as sox writes it: an 18-byte \`fmt \` chunk and a \`fact\` chunk before \`data\` (readers must
walk the chunks; \`src/media/wav.ts\` does).

- Speech: espeak-ng voices \`${VOICES.ru.voice}\` and \`${VOICES.en.voice}\` at ${VOICES.ru.speed} words/min;
  leading/trailing silence trimmed, peaks normalised to -3 dBFS, 50 ms of silence added at each
  end so prompts can be played back to back ("your-position", "number-5").
- Beep: peak -15 dBFS, about as loud as the speech.
- Hold music: peaks at -6 dBFS, lowpassed at 3.4 kHz. It starts with a 100 ms fade-in and ends
  on a phrase boundary (the last chord rings out, 0.5 s fade-out), so it loops without a click.

## Building sentences

- Queue position: \`your-position\` + \`number-N\`.
- Waiting time: \`estimated-wait\` + number + minute word. Russian needs the feminine
  \`number-1-f\` ("одна") and \`number-2-f\` ("две") before "минута/минуты", and the noun form
  follows the last digit: 1 → \`minute-1\` (1, 21, 31…), 2–4 → \`minute-2\` (2–4, 22–24…),
  anything else → \`minute-5\` (0, 5–20, 25–30…; 11–14 included).
- English: \`minute-1\` = "minute", \`minute-2\` and \`minute-5\` = "minutes"; its \`-f\` files
  repeat "one" and "two". Both languages thus have the same file set and the same composition code.
- Numbers above 20 are composed: \`number-40\` + \`number-2-f\` = "сорок две".
- \`digit-0\` … \`digit-9\` read a contract number back digit by digit.

## Texts: Russian (\`ru/\`)

${textTable(prompts, 'ru')}

## Texts: English (\`en/\`)

${textTable(prompts, 'en')}

## Licence

The speech was produced with espeak-ng (a GPL-3.0 program); the GPL covers the program, not the
audio it outputs. The audio files, like the hold music, which the script synthesizes from its own
note list (no recordings or samples), are part of hotline and licensed under Apache-2.0 like
the rest of the repository.
`;
}

// ---------------------------------------------------------------------------
// Main

/** Remove WAVs left over from prompts that were renamed or dropped. */
function clearWavs(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name.endsWith('.wav')) rmSync(join(dir, name));
}

function main(): void {
  const prompts = allPrompts();
  const tmp = mkdtempSync(join(tmpdir(), 'hotline-prompts-'));
  try {
    for (const lang of LANGUAGES) {
      const dir = join(OUT, lang);
      clearWavs(dir);
      for (const p of prompts) speak(p[lang], lang, join(dir, `${p.id}.wav`), tmp);
      console.log(`${lang}: ${prompts.length} prompts`);
    }
    beep(join(OUT, SOUNDS.beep));
    mkdirSync(join(OUT, 'music'), { recursive: true });
    holdMusic(join(OUT, SOUNDS.hold), tmp);
    writeFileSync(join(OUT, 'index.json'), manifest(prompts));
    writeFileSync(join(OUT, 'README.md'), readme(prompts));
    console.log(`wrote ${OUT}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
