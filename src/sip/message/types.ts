/**
 * The contract of the SIP message layer (RFC 3261 §7, §20, §25). Everything
 * above it — transports, transactions, dialogs, registrar, the srf-like API —
 * sees messages only through these types.
 *
 * Design: a message keeps its raw bytes and its header lines as read; header
 * values are parsed lazily, on first access, and cached. Setting a header
 * marks the message changed so serialization rebuilds it.
 */

export type UriScheme = 'sip' | 'sips' | 'tel';

export interface SipUri {
  scheme: UriScheme;
  /** Unescaped user part (sip/sips) or the telephone number (tel). */
  user: string | undefined;
  password: string | undefined;
  /** Host as written, IPv6 references with brackets ("[2001:db8::1]"); '' for tel. */
  host: string;
  port: number | undefined;
  /** URI parameters, names lower-cased; a parameter without value maps to null. */
  params: Map<string, string | null>;
  /** URI headers (?a=b&c=d), unescaped. */
  headers: Map<string, string>;
}

/** name-addr / addr-spec with header parameters (From, To, Contact, Route, Refer-To...). */
export interface NameAddr {
  displayName: string | undefined;
  uri: SipUri;
  /** Header parameters (tag, expires, q...), names lower-cased. */
  params: Map<string, string | null>;
}

export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** Upper-case transport: UDP, TCP, TLS, WS, WSS, SCTP... */
  transport: string;
  host: string;
  port: number | undefined;
  params: Map<string, string | null>;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Methods hotline understands; others are answered 501 (for requests). */
export const KNOWN_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'PRACK'] as const;

/** Where a message came from or goes to. */
export interface SipEndpointAddress {
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
  address: string;
  port: number;
}
