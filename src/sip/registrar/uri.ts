/**
 * The two URI normalizations the registrar needs, done on strings so the
 * registrar does not depend on the message parser's implementation:
 *
 * - canonicalAor: RFC 3261 §10.3 step 5 — "all URI parameters MUST be
 *   removed (including the user-param), and any escaped characters MUST be
 *   converted to their unescaped form". sips: is folded into sip: (one
 *   operator, one AOR, whichever scheme the phone registered with), the host
 *   is lower-cased, the password dropped, the port kept when given.
 * - contactKey: a key such that two Contact URIs with the same key are
 *   "equal" by RFC 3261 §19.1.4 — scheme, host and parameters compared
 *   case-insensitively, user case-sensitively, escapes resolved, parameter
 *   order ignored. Stricter than §19.1.4 in one way: a parameter present on
 *   one side only makes the URIs different (a new binding instead of a wrong
 *   replacement, the safe mistake).
 */

/** Characters that stand for themselves in a user part (RFC 3261 §25.1 unreserved / user-unreserved). */
const USER_SAFE = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

function unescape(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Escape what may not appear literally, so the canonical form is unambiguous. */
function escapeUser(s: string): string {
  let out = '';
  for (const ch of s) {
    if (USER_SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

interface UriParts {
  scheme: string;
  user: string | undefined;
  host: string;
  port: string | undefined;
  params: string[];
  headers: string | undefined;
}

/** Split a sip/sips URI string; undefined if it is not one. */
function split(uri: string): UriParts | undefined {
  const m = /^\s*<?\s*(sips?):(.*?)\s*>?\s*$/i.exec(uri);
  if (m === null) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  let rest = m[2] ?? '';
  // No '@', ';' param or header can hide '?' or '@' unescaped (RFC 3261 §25.1), so these cuts are safe.
  const q = rest.indexOf('?');
  const headers = q >= 0 ? rest.slice(q + 1) : undefined;
  if (q >= 0) rest = rest.slice(0, q);
  const at = rest.lastIndexOf('@');
  let user: string | undefined;
  if (at >= 0) {
    user = rest.slice(0, at).split(':')[0] ?? '';
    rest = rest.slice(at + 1);
  }
  const [hostport = '', ...params] = rest.split(';');
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?::(\d{1,5}))?$/.exec(hostport);
  if (hp === null) return undefined;
  return { scheme, user, host: (hp[1] ?? '').toLowerCase(), port: hp[2], params, headers };
}

/** 'sip:user@host[:port]' or undefined when the URI cannot be an AOR (not sip/sips, no user, bad host). */
export function canonicalAor(uri: string): string | undefined {
  const p = split(uri);
  if (p === undefined || p.user === undefined || p.user === '') return undefined;
  const user = unescape(p.user);
  if (user === undefined) return undefined;
  return `sip:${escapeUser(user)}@${p.host}${p.port === undefined ? '' : `:${Number(p.port)}`}`;
}

/** Comparison key for Contact URIs (see the file comment); non-SIP URIs compare as trimmed strings. */
export function contactKey(uri: string): string {
  const p = split(uri);
  if (p === undefined) return `raw:${uri.trim()}`;
  const user = p.user === undefined ? '' : unescape(p.user);
  if (user === undefined) return `raw:${uri.trim()}`;
  const params = p.params
    .filter((x) => x !== '')
    .map((x) => {
      const eq = x.indexOf('=');
      const name = (eq < 0 ? x : x.slice(0, eq)).toLowerCase();
      const value = eq < 0 ? '' : (unescape(x.slice(eq + 1)) ?? x.slice(eq + 1)).toLowerCase();
      return `${unescape(name) ?? name}=${value}`;
    })
    .sort();
  const headers = p.headers === undefined ? '' : p.headers.split('&').sort().join('&');
  return `${p.scheme}:${escapeUser(user)}@${p.host}:${p.port ?? ''};${params.join(';')}?${headers}`;
}

/** +sip.instance values compare as URNs: without quotes/brackets, case-insensitively. */
export function instanceKey(instanceId: string): string {
  return instanceId.trim().replace(/^"(.*)"$/, '$1').replace(/^<(.*)>$/, '$1').toLowerCase();
}
