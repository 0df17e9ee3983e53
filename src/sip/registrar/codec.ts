/**
 * Bindings to and from JSON for the file store. Reading checks every field:
 * a hand-edited or half-foreign file must not put a malformed binding into
 * the index (a string where the transaction layer expects a port number...).
 */
import type { Binding, BindingSource } from './types.ts';

const TRANSPORTS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function source(v: unknown): BindingSource | undefined {
  if (!isObj(v) || !isStr(v.transport) || !TRANSPORTS.has(v.transport) || !isStr(v.address) || !isNum(v.port)) return undefined;
  if (v.connectionId !== undefined && !isStr(v.connectionId)) return undefined;
  return {
    transport: v.transport as BindingSource['transport'],
    address: v.address,
    port: v.port,
    ...(v.connectionId !== undefined ? { connectionId: v.connectionId } : {}),
  };
}

/** A Binding from parsed JSON, or undefined if any field is missing or of the wrong type. */
export function bindingFromJson(v: unknown): Binding | undefined {
  if (!isObj(v)) return undefined;
  const { aor, contact, expiresAt, q, callId, cseq, instanceId, regId, path, userAgent, updatedAt } = v;
  const src = source(v.source);
  if (!isStr(aor) || !isStr(contact) || !isNum(expiresAt) || !isNum(q) || q < 0 || q > 1 || !isStr(callId)) return undefined;
  if (!isNum(cseq) || !isNum(updatedAt) || src === undefined) return undefined;
  if (!Array.isArray(path) || !path.every(isStr)) return undefined;
  if (instanceId !== undefined && !isStr(instanceId)) return undefined;
  if (regId !== undefined && !isNum(regId)) return undefined;
  if (userAgent !== undefined && typeof userAgent !== 'string') return undefined;
  return Object.freeze({
    aor,
    contact,
    expiresAt,
    q,
    callId,
    cseq,
    ...(instanceId !== undefined ? { instanceId } : {}),
    ...(regId !== undefined ? { regId } : {}),
    path: Object.freeze([...path]),
    source: Object.freeze(src),
    ...(userAgent !== undefined ? { userAgent } : {}),
    updatedAt,
  });
}
