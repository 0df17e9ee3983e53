/**
 * YAML with positions: parse a document keeping a LineCounter, and find the
 * line a field path points at, so that a validation message can say "line 23"
 * rather than leave the reader to search for the field.
 *
 * Paths are the segments zod reports (object keys and array indexes). Keys are
 * compared as text because YAML keeps `1:` as the number 1 while the JS object
 * (and so zod's path) has the string "1".
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from 'yaml';

export type PathSegment = string | number;

export interface YamlSyntaxProblem {
  message: string;
  /** 1-based. */
  line: number;
  column: number;
}

export interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  /** Syntax errors (duplicate keys included); when not empty, doc.toJS() is not to be trusted. */
  errors: YamlSyntaxProblem[];
}

export function parseYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  // uniqueKeys: a duplicated key (two nodes with one name) would otherwise silently keep the last one.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors = doc.errors.map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    return { message: e.message.split('\n')[0] ?? e.message, line: Math.max(line, 1), column: Math.max(col, 1) };
  });
  return { doc, lines, errors };
}

/**
 * Line of the deepest node the document has along `path`: for a map entry the
 * line of its key, for a list item the line of the item. Undefined when not even
 * the first segment exists (e.g. a field filled in by a default).
 */
export function lineAt(parsed: ParsedYaml, path: readonly PathSegment[]): number | undefined {
  const { doc, lines } = parsed;
  const lineOf = (offset: number): number => Math.max(lines.linePos(offset).line, 1);
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      const key: unknown = pair.key;
      const at = isScalar(key) ? key.range : undefined;
      const valueRange = isScalar(pair.value) || isMap(pair.value) || isSeq(pair.value) ? pair.value.range : undefined;
      const range = at ?? valueRange;
      if (range) line = lineOf(range[0]);
      node = pair.value;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(seg)];
      if (item === undefined) break;
      if ((isScalar(item) || isMap(item) || isSeq(item)) && item.range) line = lineOf(item.range[0]);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
}
