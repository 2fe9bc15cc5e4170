/** Keys and the audit log. */
import { z } from 'zod';
import { defineOperation } from '../define.js';
import { KEY_ERRORS } from '../errors.js';
import { AuditOutcome, QueryLimit, TenantParams } from '../schemas/common.js';
import { AuditPublicKey, ChainVerification, CheckpointVerification, SignedCheckpoint, WrittenCheckpoint } from '../schemas/audit.js';
import { KeyStatus, RewrapResult, RotatedTenantKey } from '../schemas/keys.js';
import { AuditEvent } from '../schemas/vault.js';

const AuditPage = z.object({ items: z.array(AuditEvent), nextCursor: z.number().int().nullable() }).meta({ id: 'AuditPage' });
const AuditPublicKeyList = z.object({ items: z.array(AuditPublicKey) }).meta({ id: 'AuditPublicKeyList' });

export const keyOperations = {
  rotateTenantKey: defineOperation({
    operationId: 'rotateTenantKey',
    method: 'POST',
    path: '/v1/tenants/{tenant}/keys/rotate',
    tag: 'keys',
    summary: "Rotate a tenant's key: new writes use the new version at once",
    access: { kind: 'admin' },
    params: TenantParams,
    success: { kind: 'json', status: 200, schema: RotatedTenantKey },
    errors: [...KEY_ERRORS],
    audited: true,
  }),
  rewrapTenant: defineOperation({
    operationId: 'rewrapTenant',
    method: 'POST',
    path: '/v1/tenants/{tenant}/keys/rewrap',
    tag: 'keys',
    summary: "Re-encrypt a tenant's data keys under its newest key (resumable)",
    access: { kind: 'admin' },
    params: TenantParams,
    success: { kind: 'json', status: 200, schema: RewrapResult },
    errors: [...KEY_ERRORS],
    audited: true,
  }),
  getKeyStatus: defineOperation({
    operationId: 'getKeyStatus',
    method: 'GET',
    path: '/v1/keys',
    tag: 'keys',
    summary: 'Key status: root, tenant and audit keys and what each protects',
    description: 'Ids, states and counts; never a key. `rotation` is a root rotation running or interrupted, null otherwise.',
    access: { kind: 'admin' },
    success: { kind: 'json', status: 200, schema: KeyStatus },
  }),
};

export const auditOperations = {
  listAuditEvents: defineOperation({
    operationId: 'listAuditEvents',
    method: 'GET',
    path: '/v1/tenants/{tenant}/audit',
    tag: 'audit',
    summary: "A tenant's audit events, newest first",
    description: 'Filters combine. Pages by sequence number: pass `nextCursor` as `cursor`.',
    access: { kind: 'tenant', scope: 'audit:read' },
    params: TenantParams,
    query: z
      .object({
        action: z.string().max(100).optional(),
        actor: z.string().max(100).optional(),
        target: z.string().max(200).optional(),
        outcome: AuditOutcome.optional(),
        since: z.iso.datetime().optional(),
        until: z.iso.datetime().optional(),
        cursor: z.coerce.number().int().min(1).optional(),
        limit: QueryLimit.optional(),
      })
      .strict(),
    success: { kind: 'json', status: 200, schema: AuditPage },
  }),
  verifyAuditChain: defineOperation({
    operationId: 'verifyAuditChain',
    method: 'GET',
    path: '/v1/audit/verify',
    tag: 'audit',
    summary: 'Verify the whole hash chain; names the first broken event',
    access: { kind: 'admin' },
    success: { kind: 'json', status: 200, schema: ChainVerification },
    errors: [...KEY_ERRORS],
  }),
  createAuditCheckpoint: defineOperation({
    operationId: 'createAuditCheckpoint',
    method: 'POST',
    path: '/v1/audit/checkpoints',
    tag: 'audit',
    summary: 'Sign a checkpoint of the audit chain head now',
    description:
      'Ed25519 under a key derived from the current audit key. With COFFER_AUDIT_CHECKPOINT_DIR it is also written there (`file`). Keep checkpoints off the machine: they prove later truncation or rewriting of the log up to them. Refused with AUDIT_CHECKPOINT_MISMATCH when the log no longer holds the last checkpoint signed.',
    access: { kind: 'admin' },
    success: { kind: 'json', status: 201, schema: WrittenCheckpoint },
    errors: ['AUDIT_CHECKPOINT_MISMATCH', ...KEY_ERRORS],
  }),
  listAuditPublicKeys: defineOperation({
    operationId: 'listAuditPublicKeys',
    method: 'GET',
    path: '/v1/audit/public-keys',
    tag: 'audit',
    summary: 'The public keys that check audit checkpoints, one per audit key version',
    description: 'Give them to whoever verifies checkpoints (`coffer audit verify-checkpoint FILE --public-key KEY` needs no vault and no secret).',
    access: { kind: 'admin' },
    success: { kind: 'json', status: 200, schema: AuditPublicKeyList },
    errors: [...KEY_ERRORS],
  }),
  verifyAuditCheckpoint: defineOperation({
    operationId: 'verifyAuditCheckpoint',
    method: 'POST',
    path: '/v1/audit/verify',
    tag: 'audit',
    summary: 'Verify the audit log against a checkpoint',
    description:
      "The body is a checkpoint file as written. Checks its signature and that its key is this vault's, then the chain: events cut after it was made (`truncated`), any event up to it rewritten, even re-hashed with the audit key. `unanchored` counts the events after it. A checkpoint signed by another key is reported (`vaultKey: false`), never trusted.",
    access: { kind: 'admin' },
    body: SignedCheckpoint,
    success: { kind: 'json', status: 200, schema: CheckpointVerification },
    errors: [...KEY_ERRORS],
  }),
};
