/**
 * Where a prompt id is on disk. Prompts are spoken in the call's language:
 * prompts/<lang>/<id>.wav; sounds that need no words (beep, music/hold) are
 * stored once as prompts/<id>.wav. The validator asks this library whether every
 * prompt of a flow exists; the interpreter asks it for the file to play.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowError } from './errors.ts';
import type { PromptRef } from './schema.ts';

/** The repository's prompts/ folder. */
export const DEFAULT_PROMPTS_DIR = fileURLToPath(new URL('../../prompts', import.meta.url));

/** Sources the media engine generates itself: they exist without a file. */
const GENERATED = ['tone:', 'silence:'];

export class PromptLibrary {
  readonly dir: string;
  /**
   * path → exists. Every play would otherwise stat the disk (for `beep`, twice:
   * the language folder, then the shared one). A prompt added while running is
   * seen after clearCache().
   */
  readonly #known = new Map<string, boolean>();

  constructor(dir: string = DEFAULT_PROMPTS_DIR) {
    this.dir = resolve(dir);
  }

  /**
   * The file to play for `ref` in `language`: prompts/<language>/<id>.wav, else
   * prompts/<id>.wav, else (with a fallback language) prompts/<fallback>/<id>.wav.
   * `tone:` and `silence:` refs come back unchanged; `file:<path>` is taken
   * relative to `baseDir` (the flow file's folder; default: the prompts folder).
   * Throws FlowError FLOW_REFERENCE when there is nothing to play.
   */
  resolve(ref: PromptRef, language: string, fallbackLanguage?: string, baseDir?: string): string {
    if (typeof ref !== 'string') {
      const id = ref[language];
      if (id !== undefined) return this.#resolveId(id, language, fallbackLanguage, baseDir);
      const fallbackId = fallbackLanguage !== undefined ? ref[fallbackLanguage] : undefined;
      if (fallbackId !== undefined && fallbackLanguage !== undefined) return this.#resolveId(fallbackId, fallbackLanguage, undefined, baseDir);
      throw this.#missing(`prompt ${JSON.stringify(ref)} has no id for language ${[language, fallbackLanguage].filter(Boolean).join(' or ')}`);
    }
    return this.#resolveId(ref, language, fallbackLanguage, baseDir);
  }

  /** Is there a file for prompt `id` in `language` (or a language-independent one)? */
  exists(id: string, language: string): boolean {
    if (GENERATED.some((p) => id.startsWith(p))) return true;
    if (id.startsWith('file:')) return this.#fileExists(resolve(this.dir, id.slice(5)));
    return this.#find(id, language) !== undefined;
  }

  /** Forget what was looked up (after prompts were added or removed on disk). */
  clearCache(): void {
    this.#known.clear();
  }

  #resolveId(id: string, language: string, fallbackLanguage: string | undefined, baseDir: string | undefined): string {
    if (GENERATED.some((p) => id.startsWith(p))) return id;
    if (id.startsWith('file:')) {
      const file = resolve(baseDir ?? this.dir, id.slice(5));
      if (this.#fileExists(file)) return file;
      throw this.#missing(`prompt file ${file} does not exist`);
    }
    const found = this.#find(id, language) ?? (fallbackLanguage !== undefined ? this.#find(id, fallbackLanguage) : undefined);
    if (found !== undefined) return found;
    const looked = [language, fallbackLanguage].filter((l): l is string => l !== undefined);
    throw this.#missing(`prompt "${id}" does not exist for language ${looked.join(' or ')} (looked in ${looked.map((l) => `${l}/${id}.wav`).join(', ')} and ${id}.wav)`);
  }

  #find(id: string, language: string): string | undefined {
    for (const file of [this.#path(language, `${id}.wav`), this.#path(`${id}.wav`)]) {
      if (file !== undefined && this.#fileExists(file)) return file;
    }
    return undefined;
  }

  /** A path inside the prompts folder; undefined for an id like ../../etc/passwd that would leave it. */
  #path(...parts: string[]): string | undefined {
    const file = resolve(this.dir, ...parts);
    const rel = relative(this.dir, file);
    return rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel) ? undefined : file;
  }

  #fileExists(file: string): boolean {
    let known = this.#known.get(file);
    if (known === undefined) {
      known = existsSync(file);
      this.#known.set(file, known);
    }
    return known;
  }

  #missing(message: string): FlowError {
    return new FlowError('FLOW_REFERENCE', [{ file: this.dir, message }]);
  }
}
