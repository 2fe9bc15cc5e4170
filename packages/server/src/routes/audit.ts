/**
 * The audit log: a tenant's events (audit:read); verification of the whole chain, signed
 * checkpoints of its head and their public keys (admin).
 */
import { operations } from '@coffer/contract';
import { auditCheckpointJobOf } from '../jobs/audit-checkpoints.js';
import { implement } from '../route.js';
import { toJson } from './wire.js';

const op = operations.audit;

export const auditRoutes = [
  implement(op.listAuditEvents, async ({ params, query, coffer }) => {
    const { since, until, cursor, ...rest } = query;
    const page = await coffer.audit.list({
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      tenant: params.tenant,
      ...(since ? { since: new Date(since) } : {}),
      ...(until ? { until: new Date(until) } : {}),
      ...(cursor ? { before: cursor } : {}),
    });
    return toJson(page);
  }),
  implement(op.verifyAuditChain, async ({ coffer }) => coffer.audit.verify()),
  implement(op.createAuditCheckpoint, async ({ coffer, request }) => {
    const job = auditCheckpointJobOf(request.server);
    if (job) {
      const { file, checkpoint } = await job.writeNow();
      return { ...checkpoint, file };
    }
    return { ...(await coffer.checkpoints.create()), file: null };
  }),
  implement(op.listAuditPublicKeys, async ({ coffer }) => ({ items: coffer.checkpoints.publicKeys() })),
  implement(op.verifyAuditCheckpoint, async ({ coffer, body }) => coffer.checkpoints.verifyAgainst(body)),
];
