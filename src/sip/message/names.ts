/**
 * Header names: case-insensitive, with compact forms (RFC 3261 §7.3.1,
 * §7.3.3). Every name maps to a canonical key — the lower-case long form —
 * and lookups compare keys.
 */
import { isToken } from './chars.ts';

/** Compact forms: RFC 3261 §7.3.3 and the IANA "SIP Parameters" header registry. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
};

/**
 * Headers whose value is not a comma-separated list, so a comma in them is
 * data: the challenge/credential headers (RFC 3261 §7.3.1 names them), the
 * single-valued ones, and the free-text ones.
 */
const UNSPLITTABLE = new Set([
  'www-authenticate', 'authorization', 'proxy-authenticate', 'proxy-authorization', 'authentication-info',
  'date', 'call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-length', 'content-type',
  'content-disposition', 'mime-version', 'subject', 'organization', 'user-agent', 'server', 'timestamp',
  'expires', 'min-expires', 'retry-after', 'priority', 'reply-to', 'refer-to', 'referred-by', 'replaces',
  'event', 'subscription-state', 'rack', 'rseq', 'session-expires', 'min-se', 'identity', 'identity-info',
  'target-dialog', 'sip-etag', 'sip-if-match', 'join', 'refer-sub', 'p-charging-vector',
]);

export function isSplittable(key: string): boolean {
  return !UNSPLITTABLE.has(key);
}

/**
 * Cache of spelling → key. Header names come from a small vocabulary, so
 * after warm-up a lookup allocates nothing; the cap keeps a peer sending
 * random names from growing it.
 */
const keyCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 2048;

/** Canonical key of any name (only token names are cached, so a cache hit proves a valid name). */
export function headerKey(name: string): string {
  const cached = keyCache.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const key = COMPACT_FORMS[lower] ?? lower;
  if (keyCache.size < KEY_CACHE_LIMIT && isToken(name)) keyCache.set(name, key);
  return key;
}

/** Key of a name a peer sent, or undefined when it is not a token (RFC 3261 §7.3.1 field-name). */
export function peerHeaderKey(name: string): string | undefined {
  const cached = keyCache.get(name);
  if (cached !== undefined) return cached;
  return isToken(name) ? headerKey(name) : undefined;
}

/**
 * Spellings seen on almost every message, matched in place in the decoded
 * header section: a hit yields the interned name and key without slicing or
 * hashing a new string (the parser's hot path). Anything else goes through
 * peerHeaderKey.
 */
const COMMON_SPELLINGS = [
  'Via', 'v', 'Max-Forwards', 'Contact', 'm', 'To', 't', 'From', 'f', 'Call-ID', 'Call-Id', 'i', 'CSeq', 'Cseq',
  'Allow', 'Content-Type', 'c', 'Supported', 'k', 'User-Agent', 'Allow-Events', 'u', 'Content-Length', 'l',
  'Record-Route', 'Route', 'Require', 'Proxy-Require', 'Expires', 'Authorization', 'Proxy-Authorization',
  'WWW-Authenticate', 'Proxy-Authenticate', 'Server', 'Accept', 'Subject', 's', 'Date', 'Timestamp',
  'Session-Expires', 'x', 'Min-SE', 'Event', 'o', 'Refer-To', 'r', 'Referred-By', 'b', 'P-Asserted-Identity',
  'P-Preferred-Identity', 'Privacy', 'Reason', 'Unsupported', 'Warning', 'Organization', 'Content-Disposition',
  'Content-Encoding', 'e', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Call-Info', 'Min-Expires',
  'Priority', 'Reply-To', 'Retry-After', 'Path', 'RSeq', 'RAck', 'Subscription-State', 'Replaces', 'Diversion',
  'Remote-Party-ID', 'MIME-Version', 'In-Reply-To', 'Error-Info', 'Authentication-Info', 'Identity', 'y',
];

export interface Spelling {
  name: string;
  key: string;
}

/** Spellings by (length, first character): usually one candidate, one startsWith. */
const BY_SHAPE: Array<Spelling[] | undefined> = [];
for (const name of COMMON_SPELLINGS) {
  const slot = (name.length << 7) | name.charCodeAt(0);
  (BY_SHAPE[slot] ??= []).push({ name, key: headerKey(name) });
}

/** The common spelling occupying s[from, to) exactly, or undefined. */
export function commonSpelling(s: string, from: number, to: number): Spelling | undefined {
  const c = s.charCodeAt(from);
  const length = to - from;
  if (c >= 128 || length > 31) return undefined;
  const list = BY_SHAPE[(length << 7) | c];
  if (list === undefined) return undefined;
  // A char loop, not startsWith(name, from): the builtin with a position is the slower of the two here.
  outer: for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    const name = entry.name;
    for (let j = 1; j < length; j++) if (s.charCodeAt(from + j) !== name.charCodeAt(j)) continue outer;
    return entry;
  }
  return undefined;
}
