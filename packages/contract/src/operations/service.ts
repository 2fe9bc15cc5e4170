/** Health, readiness and metrics: what a load balancer and a scraper call. */
import { z } from 'zod';
import { defineOperation } from '../define.js';

export const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const Readiness = z
  .object({
    status: z.enum(['ready', 'degraded', 'unavailable']),
    checks: z
      .object({
        redis: z.string().optional().meta({ description: 'The shared failure counters\' Redis: `ok`, or why not.' }),
        auditOutbox: z.number().int().optional().meta({ description: 'SQLite: change events waiting in the outbox to move into the chain.' }),
      })
      .optional(),
  })
  .meta({ id: 'Readiness', description: '`degraded` still serves (answered with 200): see `checks`.' });

export const serviceOperations = {
  getHealth: defineOperation({
    operationId: 'getHealth',
    method: 'GET',
    path: '/healthz',
    tag: 'service',
    summary: 'Liveness: the process answers',
    access: { kind: 'public' },
    success: { kind: 'json', status: 200, schema: Health },
  }),
  getReadiness: defineOperation({
    operationId: 'getReadiness',
    method: 'GET',
    path: '/readyz',
    tag: 'service',
    summary: 'Readiness: the vault is open and its database answers',
    description: '200 `ready` or `degraded` (still serving; `checks` says what is wrong); 503 `unavailable`.',
    access: { kind: 'public' },
    success: { kind: 'json', status: 200, schema: Readiness },
    otherResponses: { 503: { description: 'Not ready: the vault or its database is unavailable.', schema: Readiness } },
  }),
  getMetrics: defineOperation({
    operationId: 'getMetrics',
    method: 'GET',
    path: '/metrics',
    tag: 'service',
    summary: 'Prometheus metrics (service-wide; no tenant, secret or value)',
    access: { kind: 'metrics' },
    success: { kind: 'text', status: 200, mediaType: 'text/plain', description: 'Prometheus text exposition format.', schema: z.string() },
  }),
};
