/**
 * Where user credentials come from. Only HA1 values are stored (RFC 7616
 * §5.2: "store H(username:realm:password)"), one per algorithm, never the
 * password. A user with only an MD5 HA1 can still answer the MD5 challenge.
 */
import { ha1, type DigestAlgorithm } from './hash.ts';

export interface StoredCredentials {
  /** Hex MD5(username:realm:password). */
  ha1Md5?: string;
  /** Hex SHA-256(username:realm:password). */
  ha1Sha256?: string;
}

export interface CredentialStore {
  /** undefined when the user does not exist in that realm. May reject (database down): the authenticator surfaces AUTH_STORE_FAILED. */
  lookup(username: string, realm: string): Promise<StoredCredentials | undefined>;
}

export function storedHa1(c: StoredCredentials, algorithm: DigestAlgorithm): string | undefined {
  return algorithm === 'MD5' ? c.ha1Md5 : c.ha1Sha256;
}

/** Both HA1 values for a password (for provisioning: the password is hashed here and thrown away). */
export function credentialsFor(username: string, realm: string, password: string): Required<StoredCredentials> {
  return { ha1Md5: ha1('MD5', username, realm, password), ha1Sha256: ha1('SHA-256', username, realm, password) };
}

/** In-memory store for tests, small deployments and the config file's operator list. */
export class MemoryCredentialStore implements CredentialStore {
  private readonly users = new Map<string, StoredCredentials>();

  /** Keyed by (username, realm); a realm rarely changes, but the HA1 depends on it. */
  private static key(username: string, realm: string): string {
    return `${realm}\u0000${username}`;
  }

  /** Add or replace a user from stored HA1 values. */
  set(username: string, realm: string, creds: StoredCredentials): void {
    this.users.set(MemoryCredentialStore.key(username, realm), { ...creds });
  }

  /** Add or replace a user from a password (only the HA1 values are kept). */
  setPassword(username: string, realm: string, password: string): void {
    this.set(username, realm, credentialsFor(username, realm, password));
  }

  delete(username: string, realm: string): boolean {
    return this.users.delete(MemoryCredentialStore.key(username, realm));
  }

  lookup(username: string, realm: string): Promise<StoredCredentials | undefined> {
    const c = this.users.get(MemoryCredentialStore.key(username, realm));
    return Promise.resolve(c === undefined ? undefined : { ...c });
  }
}
