/** What the vault's secret operations take and give back. */
import type { Acting } from '../audit/audited.js';
import type { VersionState } from '../store/schema.js';
import type { MaskedValue } from './masking.js';
import type { Metadata, SecretType, SecretValue } from './values.js';

/** Options of a write; `as` (set by `coffer.as(actor)`) says who acts in its `secret.write` event. */
export interface PutOptions extends Acting {
  type?: SecretType;
  metadata?: Metadata;
  /** Check-and-set: 0 creates only; N writes only if the current version is N. */
  cas?: number;
  /**
   * Versions kept; older ones are destroyed (their rows deleted, ciphertext and wrapped key
   * with them) and listed in the result. Default 10.
   */
  maxVersions?: number;
}

export interface PutResult {
  name: string;
  version: number;
  createdAt: Date;
  /**
   * Present when this write destroyed older versions because the secret keeps `maxVersions`
   * (a lowered `maxVersions` can destroy several at once): their numbers, oldest first. Each is
   * audited as `secret.version.destroy` (reason `max_versions`), in the write's transaction.
   */
  destroyedVersions?: number[];
}

export interface RevealedSecret {
  name: string;
  type: SecretType;
  version: number;
  value: SecretValue;
}

export interface SecretVersionInfo {
  version: number;
  state: VersionState;
  keyId: string | null;
  createdAt: Date;
  deletedAt: Date | null;
  destroyedAt: Date | null;
  /** Masked value, for active and deleted versions. */
  masked: MaskedValue | null;
}

export interface SecretInfo {
  name: string;
  type: SecretType;
  metadata: Metadata;
  currentVersion: number;
  /** State of the current version. */
  state: VersionState;
  maxVersions: number;
  createdAt: Date;
  updatedAt: Date;
  masked: MaskedValue | null;
}

export interface ListOptions {
  /** At most this many (default 100, max 1000). */
  limit?: number;
  /** Cursor: the name after which to continue. */
  after?: string;
}

export interface SecretPage {
  items: SecretInfo[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Which versions an operation applies to: a list, or every version when omitted. */
export interface VersionSelector extends Acting {
  versions?: number[];
}
