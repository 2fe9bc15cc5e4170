/** What key administration takes and reports: ids, states and counts, never a key. */
import type { Acting } from '../audit/audited.js';
import type { RootKeyState, TenantKeyState } from '../store/schema.js';
import type { KeyFileChange } from './root-key-provider.js';
import type { RootRotationStep } from './root-rotation.js';

export interface Progress {
  (done: number, total: number): void;
}

export interface RootKeyStatus {
  id: string;
  state: RootKeyState;
  createdAt: Date;
  /** Tenant key versions it wraps. */
  tenantKeys: number;
}

/** One version of the audit key (keys/audit-keys.ts): never the key, only where it stands. */
export interface AuditKeyStatus {
  version: number;
  /** Whether new audit events are MACed under it. */
  current: boolean;
  /** The root key that wraps it. */
  rootKeyId: string;
  /** Events after this seq are keyed; those up to it are the log from before audit keys. */
  firstSeq: number;
  createdAt: Date;
}

export interface TenantKeyStatus {
  id: string;
  tenant: string;
  version: number;
  state: TenantKeyState;
  newest: boolean;
  createdAt: Date;
  rootKeyId: string | null;
  /** Secret versions whose data key it wraps. */
  secretVersions: number;
}

/** A root rotation that is running, or was interrupted and waits for the next start. */
export interface RootRotationStatus {
  /** `starting`: the lease is held, no key recorded yet; `staged`: the new key's check value is recorded; `switched`: the database uses the new key. */
  state: 'starting' | 'staged' | 'switched';
  /** `host:pid:…` of the process holding the lease, if any. */
  owner: string | null;
  /** Whether that process is alive and its lease unexpired; otherwise the next start finishes or rolls back. */
  running: boolean;
  leaseUntil: Date | null;
  fromKeyId: string | null;
  toKeyId: string | null;
}

export interface KeyStatus {
  rootKeyProvider: string;
  root: RootKeyStatus[];
  tenants: TenantKeyStatus[];
  /** The audit key versions that MAC the audit chain. */
  audit: AuditKeyStatus[];
  /** Null unless a root rotation is running or was interrupted. */
  rotation: RootRotationStatus | null;
}

export interface RotateRootOptions extends Acting {
  batchSize?: number;
  onProgress?: Progress;
  /**
   * Called, and awaited, after each step is durable: `staged` (key file written and fsynced),
   * `recorded` (its check value committed), `switched` (the database uses it), `rewrapping`
   * (after each batch of tenant keys), `promoted` (key files renamed), `done`.
   */
  onStep?: (step: RootRotationStep) => void | Promise<void>;
  /** How long the rotation lease lasts without a heartbeat (default 60 s; renewed every third of it). */
  leaseMs?: number;
}

export interface RootRotationResult {
  keyId: string;
  previousKeyId: string;
  rewrapped: number;
}

export interface RetireResult {
  keyId: string;
  /** Retiring a root key rotated with the key file removes it from `root.key.previous`. */
  keyFile?: KeyFileChange;
}

export interface RewrapResult {
  tenant: string;
  keyId: string;
  rewrapped: number;
}

export interface RewrapOptions extends Acting {
  batchSize?: number;
  onProgress?: Progress;
}

export interface RewrapAllOptions extends Acting {
  batchSize?: number;
  onProgress?: (tenant: string, done: number, total: number) => void;
}
