/**
 * Typed errors of the store. Both drivers (node-postgres and PGlite) throw
 * their own error shapes; everything leaving src/store is a StoreError whose
 * `code` is stable and safe to match on (the API maps STORE_CONFLICT to 409,
 * the event writer retries STORE_UNAVAILABLE).
 */
export type StoreErrorCode =
  /** The database cannot be reached or refused the connection (down, restarting, wrong port, auth, missing database). */
  | 'STORE_UNAVAILABLE'
  /** A unique or exclusion constraint, a serialization failure or a deadlock: the row already exists or another writer won. */
  | 'STORE_CONFLICT'
  /** A CHECK, NOT NULL or foreign-key constraint rejected the row. */
  | 'STORE_CONSTRAINT'
  /** A value the database cannot take for its column type (bad number, date, JSON, out of range). */
  | 'STORE_BAD_INPUT'
  /** Any other database error: a bug in the SQL, most likely. */
  | 'STORE_QUERY_FAILED'
  /** An applied migration's file no longer has the checksum recorded when it was applied. */
  | 'STORE_MIGRATION_CHANGED'
  /** A migration failed and was rolled back. */
  | 'STORE_MIGRATION_FAILED'
  /** The migrations folder is not usable: a badly named file, two files with one version, a file added below an applied version. */
  | 'STORE_MIGRATION_INVALID'
  /** The Db was closed. */
  | 'STORE_CLOSED'
  /** The Db was used in a way that cannot work (db.query inside db.transaction, a transaction object used after it ended). */
  | 'STORE_MISUSE';

export interface StoreErrorDetails {
  /** SQLSTATE of the database error, when there was one. */
  sqlState?: string;
  constraint?: string;
  table?: string;
  column?: string;
  /** Worth retrying as is: the database was unreachable, or a serialization failure / deadlock. */
  retryable?: boolean;
  /** 1-based character position in the statement, as the database reported it. */
  position?: number;
  /** A migration's file name. */
  file?: string;
  cause?: unknown;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly sqlState: string | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly retryable: boolean;
  readonly position: number | undefined;
  readonly file: string | undefined;

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    details: StoreErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.sqlState = details.sqlState;
    this.constraint = details.constraint;
    this.table = details.table;
    this.column = details.column;
    this.retryable = details.retryable ?? false;
    this.position = details.position;
    this.file = details.file;
  }
}

/** Socket-level failures (Node error codes): the server is not there. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/** node-postgres reports some connection failures with a plain Error and no code. */
const PG_CONNECTION_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Client was closed|Connection refused/i;

interface DriverErrorFields {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  position?: unknown;
  errors?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function networkCode(err: DriverErrorFields): string | undefined {
  const code = str(err.code);
  if (code !== undefined && NETWORK_CODES.has(code)) return code;
  // Node 20 reports a refused connection to a name with several addresses as an AggregateError.
  if (Array.isArray(err.errors)) {
    for (const inner of err.errors as DriverErrorFields[]) {
      const c = str(inner?.code);
      if (c !== undefined && NETWORK_CODES.has(c)) return c;
    }
  }
  return undefined;
}

/**
 * Turns whatever a driver threw into a StoreError. The database's own message
 * is kept (it names the relation and the constraint). Of its DETAIL only the
 * "Key (...)=(...)" part of unique and foreign-key violations is added: a CHECK
 * violation's detail is the whole failing row, which may hold credentials (HA1)
 * and must not reach logs or API responses. For the same reason the raw driver
 * error is not kept as `cause` for constraint violations.
 */
export function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e: DriverErrorFields = typeof err === 'object' && err !== null ? (err as DriverErrorFields) : {};
  const message = str(e.message) ?? String(err);

  const net = networkCode(e);
  if (net !== undefined || (str(e.code) === undefined && PG_CONNECTION_MESSAGES.test(message))) {
    return new StoreError('STORE_UNAVAILABLE', `database unavailable: ${message}`, { retryable: true, cause: err });
  }
  if (/PGlite is clos(ed|ing)/.test(message)) {
    return new StoreError('STORE_CLOSED', 'the embedded database is closed', { cause: err });
  }

  const sqlState = str(e.code);
  if (sqlState === undefined || !/^[0-9A-Z]{5}$/.test(sqlState)) {
    return new StoreError('STORE_QUERY_FAILED', message, { cause: err });
  }
  const position = Number(e.position);
  const fields: StoreErrorDetails = {
    sqlState,
    constraint: str(e.constraint),
    table: str(e.table),
    column: str(e.column),
    ...(Number.isInteger(position) && position > 0 ? { position } : {}),
  };
  const cls = sqlState.slice(0, 2);
  const key = str(e.detail)?.startsWith('Key (') ? ` (${str(e.detail)})` : '';

  if (sqlState === '23505' || sqlState === '23P01') return new StoreError('STORE_CONFLICT', message + key, fields);
  if (sqlState === '40001' || sqlState === '40P01') return new StoreError('STORE_CONFLICT', message, { ...fields, retryable: true, cause: err });
  if (cls === '23') return new StoreError('STORE_CONSTRAINT', message + key, fields);
  if (cls === '22') return new StoreError('STORE_BAD_INPUT', message, { ...fields, cause: err });
  // 08: connection exception; 57P01-03: shutdown / cannot connect now; 53300: too many connections.
  if (cls === '08' || sqlState === '57P01' || sqlState === '57P02' || sqlState === '57P03' || sqlState === '53300') {
    return new StoreError('STORE_UNAVAILABLE', `database unavailable: ${message}`, { ...fields, retryable: true, cause: err });
  }
  // 28: bad credentials; 3D000: no such database. Unavailable, but retrying as is will not help.
  if (cls === '28' || sqlState === '3D000') {
    return new StoreError('STORE_UNAVAILABLE', `database unavailable: ${message}`, { ...fields, cause: err });
  }
  return new StoreError('STORE_QUERY_FAILED', message, { ...fields, cause: err });
}

/**
 * A transaction whose callback caught a failed statement and returned normally:
 * the database rolled everything back at COMMIT. Reported the same way on both
 * drivers, so the caller never believes its writes were kept.
 */
export function abortedCommit(): StoreError {
  return new StoreError('STORE_QUERY_FAILED', 'the transaction was rolled back at COMMIT because a statement in it had failed (an error was caught and not rethrown)');
}
