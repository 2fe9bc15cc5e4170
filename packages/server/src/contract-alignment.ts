/**
 * The contract is zod only (a browser can load it), so it spells out the enums core also
 * defines. Here, where both are in reach, the build proves they are the same sets: adding a
 * scope, a secret type, an auth mode or a connection status to one and not the other fails here.
 */
import type { AUTH_MODES as CONTRACT_AUTH_MODES, CONNECTION_STATUSES, SECRET_TYPES as CONTRACT_SECRET_TYPES, TENANT_SCOPES as CONTRACT_SCOPES } from '@coffer/contract';
import type { AuthMode, ConnectionStatus, Scope, SecretType } from '@coffer/core';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const aligned: [
  Same<(typeof CONTRACT_SCOPES)[number], Scope>,
  Same<(typeof CONTRACT_SECRET_TYPES)[number], SecretType>,
  Same<(typeof CONTRACT_AUTH_MODES)[number], AuthMode>,
  Same<(typeof CONNECTION_STATUSES)[number], ConnectionStatus>,
] = [true, true, true, true];
void aligned;
