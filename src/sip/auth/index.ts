/** Digest authentication for SIP: server (DigestAuthenticator) and client (answerChallenge). */
export { DigestAuthenticator, type AuthFailureCode, type AuthRequest, type AuthResult, type DigestAuthenticatorOptions } from './authenticator.ts';
export { answerChallenge, type AnswerChallengeInput } from './client.ts';
export { MemoryCredentialStore, credentialsFor, type CredentialStore, type StoredCredentials } from './credentials.ts';
export { DIGEST_ALGORITHMS, digestResponse, ha1, ha2, type DigestAlgorithm } from './hash.ts';
export { AuthError, type AuthErrorCode } from './errors.ts';
export { DEFAULT_FAILURE_POLICY, type FailurePolicy } from './failures.ts';
export {
  formatChallenge,
  formatCredentials,
  parseDigestChallenges,
  parseDigestCredentials,
  quoteString,
  type DigestChallenge,
  type DigestCredentials,
} from './header.ts';
export { MAX_AUTH_HEADER_LENGTH, parseAuthItems, type AuthItem, type AuthParam } from './params.ts';
