/**
 * Digest authentication in one import for the rest of the SIP stack: the
 * hash functions (hash.ts), the client answer (client.ts) and the server
 * (authenticator.ts). Same content as index.ts; kept because callers import
 * this path.
 */
export * from './index.ts';
