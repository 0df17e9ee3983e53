/**
 * zod's issues in the words of someone editing a YAML flow: "expected a
 * number", "unknown field nxt (did you mean next?)", "kind "plya" is not a node
 * kind". Messages the schema itself gives (its regex explanations) are kept.
 */
import { z } from 'zod';
import { didYouMean, type Finding } from './findings.ts';
import { FlowFile, FlowNode } from './schema.ts';
import type { PathSegment } from '../yaml-lines.ts';
import { TYPE_WORDS, bound } from '../validation-words.ts';

/** Per-parse messages for zod's defaults; a message written in the schema wins over these. */
export const flowErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${TYPE_WORDS[iss.expected] ?? iss.expected}`;
    case 'invalid_value':
      return iss.values.length === 1 ? `expected ${JSON.stringify(iss.values[0])}` : `expected one of ${iss.values.map(String).join(', ')}`;
    case 'invalid_format':
      return iss.format === 'regex' && 'pattern' in iss ? `expected text matching ${String(iss.pattern)}` : undefined;
    case 'too_small':
      return bound(iss.origin, iss.inclusive ? '>=' : '>', Number(iss.minimum));
    case 'too_big':
      return bound(iss.origin, iss.inclusive ? '<=' : '<', Number(iss.maximum));
    default:
      return undefined;
  }
};

export function fromZod(issues: readonly z.core.$ZodIssue[], raw: unknown): Finding[] {
  const out: Finding[] = [];
  for (const iss of issues) {
    const path = iss.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    const add = (message: string, at: PathSegment[] = path): void => {
      out.push({ code: 'FLOW_SCHEMA', path: at, message });
    };
    switch (iss.code) {
      case 'unrecognized_keys': {
        const known = knownFields(path, raw);
        for (const key of iss.keys) add(`unknown field "${key}"${didYouMean(key, known) || (known.length > 0 ? ` (expected one of ${known.join(', ')})` : '')}`, [...path, key]);
        break;
      }
      case 'invalid_union':
        if ('discriminator' in iss && iss.discriminator === 'kind') {
          const kind = kindOf(iss.input);
          const kinds = FlowNode.options.map((o) => o.shape.kind.value);
          add(kind === undefined ? `missing kind (one of ${kinds.join(', ')})` : `kind "${kind}" is not a node kind${didYouMean(kind, kinds) || ` (expected one of ${kinds.join(', ')})`}`, [...path.filter((s) => s !== 'kind'), 'kind']);
        } else {
          add(`${iss.message}${shown(iss.input)}`);
        }
        break;
      case 'invalid_key': {
        const inner = iss.issues[0]?.message ?? iss.message;
        add(`key "${String(iss.input)}": ${inner}`);
        break;
      }
      default:
        add(iss.input === undefined && iss.code === 'invalid_type' ? `missing (${iss.message})` : `${iss.message}${shown(iss.input)}`);
    }
  }
  return out;
}

function kindOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || !('kind' in input)) return undefined;
  return String(input.kind);
}

/** ` (got "x")` for short scalars; nothing for collections, which the path already points at. */
function shown(value: unknown): string {
  if (value === undefined || (typeof value === 'object' && value !== null)) return '';
  const text = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value) : String(value);
  return ` (got ${text})`;
}

/** Field names accepted where an unknown field was found: the top level, a node of its kind, or a nested object. */
function knownFields(path: readonly PathSegment[], raw: unknown): string[] {
  let schema: z.core.$ZodType = FlowFile;
  let value: unknown = raw;
  for (const seg of path) {
    schema = unwrap(schema);
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[String(seg)] : undefined;
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.core.$ZodType>)[String(seg)] ?? z.never();
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else return [];
    schema = unwrap(schema);
    if (schema instanceof z.ZodDiscriminatedUnion) {
      const kind = kindOf(value);
      schema = FlowNode.options.find((o) => o.shape.kind.value === kind) ?? z.never();
    }
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(t: z.core.$ZodType): z.core.$ZodType {
  while (t instanceof z.ZodDefault || t instanceof z.ZodPrefault || t instanceof z.ZodOptional) t = t.unwrap();
  return t;
}
