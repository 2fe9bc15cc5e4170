/**
 * The audit log: a tenant's events (audit:read); verification of the whole chain, signed
 * checkpoints of its head and their public keys (admin).
 */
import { CHECKPOINT_FORMAT } from '@coffer/core';
import { z } from 'zod';
import { auditCheckpointJobOf } from '../jobs/audit-checkpoints.js';
import { defineRoute } from '../route.js';
import { AuditEvent, TenantParams, toJson } from './schemas.js';

const ChainVerification = z.object({
  ok: z.boolean(),
  checked: z.number(),
  firstBroken: z.object({ seq: z.number(), reason: z.string() }).nullable(),
  // Runs of plain SHA-256 events (from before audit keys) and of events MACed under an audit key version.
  segments: z.array(z.object({ from: z.number(), to: z.number(), keyed: z.boolean(), keyVersion: z.number().optional() })),
});

const CheckpointPayload = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('the newest event covered (0: an empty log)'),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits').describe("that event's hash"),
  at: z.iso.datetime().describe('when the checkpoint was made'),
  keyVersion: z.number().int().min(1).max(0x7fffffff).describe('the audit key version the signing key is derived from'),
  keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits').describe('first 16 hex digits of SHA-256 of the raw public key'),
});

/** A checkpoint file, exactly: what POST /v1/audit/checkpoints returns and `coffer audit checkpoint` writes. */
const SignedCheckpoint = CheckpointPayload.extend({
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 Ed25519 signature (64 bytes)'),
  publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 Ed25519 public key (32 bytes)'),
}).strict();

export const auditRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/audit',
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
        outcome: z.enum(['success', 'failure', 'denied']).optional(),
        since: z.iso.datetime().optional(),
        until: z.iso.datetime().optional(),
        cursor: z.coerce.number().int().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    response: z.object({ items: z.array(AuditEvent), nextCursor: z.number().nullable() }),
    async handler({ params, query, coffer }) {
      const { since, until, cursor, ...rest } = query;
      const page = await coffer.audit.list({
        ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
        tenant: params.tenant,
        ...(since ? { since: new Date(since) } : {}),
        ...(until ? { until: new Date(until) } : {}),
        ...(cursor ? { before: cursor } : {}),
      });
      return toJson(page) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/verify',
    tag: 'audit',
    summary: 'Verify the whole hash chain; names the first broken event',
    access: { kind: 'admin' },
    response: ChainVerification,
    async handler({ coffer }) {
      return coffer.audit.verify();
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/audit/checkpoints',
    tag: 'audit',
    summary: 'Sign a checkpoint of the audit chain head now',
    description:
      'Ed25519 under a key derived from the current audit key. With COFFER_AUDIT_CHECKPOINT_DIR it is also written there (`file`). Keep checkpoints off the machine: they prove later truncation or rewriting of the log up to them. Refused with AUDIT_CHECKPOINT_MISMATCH when the log no longer holds the last checkpoint signed.',
    access: { kind: 'admin' },
    status: 201,
    response: SignedCheckpoint.extend({ file: z.string().nullable().describe('where it was written, or null without a checkpoint directory') }),
    errors: ['AUDIT_CHECKPOINT_MISMATCH'],
    async handler({ coffer, request }) {
      const job = auditCheckpointJobOf(request.server);
      if (job) {
        const { file, checkpoint } = await job.writeNow();
        return { ...checkpoint, file };
      }
      return { ...(await coffer.checkpoints.create()), file: null };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/public-keys',
    tag: 'audit',
    summary: 'The public keys that check audit checkpoints, one per audit key version',
    description: 'Give them to whoever verifies checkpoints (`coffer audit verify-checkpoint FILE --public-key KEY` needs no vault and no secret).',
    access: { kind: 'admin' },
    response: z.object({
      items: z.array(z.object({ version: z.number(), keyId: z.string(), current: z.boolean(), publicKey: z.string().describe('raw 32 bytes, base64'), pem: z.string().describe('SPKI PEM') })),
    }),
    async handler({ coffer }) {
      return { items: coffer.checkpoints.publicKeys() };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/audit/verify',
    tag: 'audit',
    summary: 'Verify the audit log against a checkpoint',
    description:
      'The body is a checkpoint file as written. Checks its signature and that its key is this vault\'s, then the chain: events cut after it was made (`truncated`), any event up to it rewritten, even re-hashed with the audit key. `unanchored` counts the events after it. A checkpoint signed by another key is reported (`vaultKey: false`), never trusted.',
    access: { kind: 'admin' },
    body: SignedCheckpoint,
    response: z.object({
      ok: z.boolean(),
      reason: z.string().nullable(),
      problems: z.array(z.string()),
      checkpoint: CheckpointPayload,
      signatureValid: z.boolean(),
      vaultKey: z.boolean(),
      anchoredThrough: z.number().nullable(),
      unanchored: z.number(),
      head: z.object({ seq: z.number(), hash: z.string() }),
      chain: ChainVerification.nullable(),
    }),
    async handler({ coffer, body }) {
      return coffer.checkpoints.verifyAgainst(body);
    },
  }),
];
