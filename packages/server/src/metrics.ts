/**
 * Prometheus metrics, one registry per app. Labels are route templates, methods, statuses and
 * error codes: never a tenant, a secret name or a value.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  readonly reveals: Counter<'outcome'>;
  readonly auditEvents: Counter;
  readonly errors: Counter<'code'>;
  readonly authFailures: Counter<'reason'>;
  readonly tokenRefreshes: Counter<'outcome'>;
  /**
   * Reports, at each scrape, whether the shared (Redis) failure counters are reachable as
   * `coffer_auth_limiter_shared_up` (1 or 0); only registered when Redis is configured.
   */
  sharedLimiterUp(isUp: () => boolean): void;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'coffer_' });
  return {
    registry,
    requests: new Counter({ name: 'coffer_http_requests_total', help: 'HTTP requests by route template and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    duration: new Histogram({
      name: 'coffer_http_request_duration_seconds',
      help: 'HTTP request latency by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    reveals: new Counter({ name: 'coffer_reveals_total', help: 'Secret reveals by outcome', labelNames: ['outcome'], registers: [registry] }),
    auditEvents: new Counter({ name: 'coffer_audit_events_total', help: 'Audit events committed', registers: [registry] }),
    errors: new Counter({ name: 'coffer_errors_total', help: 'Error responses by error code', labelNames: ['code'], registers: [registry] }),
    authFailures: new Counter({ name: 'coffer_auth_failures_total', help: 'Failed authentications', labelNames: ['reason'], registers: [registry] }),
    tokenRefreshes: new Counter({ name: 'coffer_token_refreshes_total', help: 'OAuth token refreshes by the proactive job', labelNames: ['outcome'], registers: [registry] }),
    sharedLimiterUp(isUp) {
      registry.removeSingleMetric('coffer_auth_limiter_shared_up');
      new Gauge({
        name: 'coffer_auth_limiter_shared_up',
        help: 'Whether failed authentications are counted in Redis across replicas (1) or per process while it is unreachable (0)',
        registers: [registry],
        collect() {
          this.set(isUp() ? 1 : 0);
        },
      });
    },
  };
}
