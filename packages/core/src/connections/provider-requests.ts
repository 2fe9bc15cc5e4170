/**
 * Requests to a provider's API with a connection's credentials: how the credential is put on a
 * request (the provider's header and query templates) and the provider's test request.
 *
 * What comes back is reduced to a status and, when the provider says where, the remote account
 * id. A response body is never kept, logged or returned: it may carry a token.
 */
import { CofferError } from '../errors.js';
import type { ProviderDefinition } from '../providers/provider-schema.js';
import { fillFromConnection, fillProviderUrl, providerTestUrl } from '../providers/host-binding.js';
import type { Outbound } from '../outbound/http.js';

/** A credential ready to use: where to send requests and what to add to them. */
export interface AppliedCredentials {
  baseUrl: string;
  headers: Record<string, string>;
  query: Record<string, string>;
}

export function applyCredentials(provider: ProviderDefinition, config: Record<string, string>, credentials: Record<string, string>): AppliedCredentials {
  // Credentials may fill header and query templates; URLs are filled from config alone, so a
  // credential can never become part of a URL (the schema refuses such templates too).
  const values: Record<string, string> = { ...config, ...credentials };
  if (provider.auth.mode === 'basic') values.basic_auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  if (values.token_type === undefined && credentials.access_token !== undefined) values.token_type = 'Bearer';
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(provider.api.inject.headers)) headers[name] = fillFromConnection(provider, template, values, false);
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(provider.api.inject.query)) query[name] = fillFromConnection(provider, template, values, false);
  // The base URL is checked against the provider's hosts here, before any caller can use it.
  return { baseUrl: fillProviderUrl(provider, provider.api.baseUrl, config), headers, query };
}

export interface TestResult {
  ok: boolean;
  /** The provider's HTTP status, or null when it could not be reached. */
  status: number | null;
  /** The remote account id, when the provider's answer has one where its definition says. */
  identifier: string | null;
  /** Why it failed, in words safe to store and show: a status or a network error code. */
  error: string | null;
  durationMs: number;
}

const TEST_TIMEOUT_MS = 10_000;
const MAX_IDENTIFIER = 200;

function pick(data: unknown, path: string): string | null {
  let cur: unknown = data;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  if (typeof cur === 'number' && Number.isFinite(cur)) return String(cur);
  if (typeof cur === 'string' && cur.length > 0 && cur.length <= MAX_IDENTIFIER && !/[\u0000-\u001f\u007f]/.test(cur)) return cur;
  return null;
}

/** Runs the provider's test request; never throws for a provider's answer, only for a definition without one. */
export async function runTestRequest(provider: ProviderDefinition, applied: AppliedCredentials, config: Readonly<Record<string, string>>, outbound: Outbound, options: { timeoutMs?: number } = {}): Promise<TestResult> {
  const test = provider.api.test;
  if (!test) throw new CofferError('INVALID_ARGUMENT', `Provider "${provider.id}" declares no test request.`);
  // The path's placeholders come from config too; the joined URL is checked again, so the
  // credential goes nowhere the provider does not allow.
  const url = providerTestUrl(provider, applied.baseUrl, config);
  for (const [k, v] of Object.entries(applied.query)) url.searchParams.set(k, v);
  const started = performance.now();
  const done = (r: Omit<TestResult, 'durationMs'>): TestResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
  let response: Response;
  try {
    // Through the outbound layer: a redirect is never followed (it could carry the credential
    // elsewhere; it counts as a failure), private addresses are refused, the answer is capped.
    response = await outbound.fetch(url, {
      method: test.method,
      headers: { accept: 'application/json', ...applied.headers },
      redirect: 'manual',
      timeoutMs: options.timeoutMs ?? TEST_TIMEOUT_MS,
    });
  } catch (err) {
    const code = err instanceof CofferError ? err.code : undefined;
    const cause = (err as { cause?: { code?: string } }).cause;
    const reason =
      code === 'OUTBOUND_BLOCKED' ? 'refused by the outbound policy: not a public address' : code === 'OUTBOUND_TIMEOUT' ? 'timed out' : code === 'OUTBOUND_RESPONSE_TOO_LARGE' ? 'answer too large' : (cause?.code ?? 'network error');
    return done({ ok: false, status: null, identifier: null, error: `could not reach ${provider.name} (${reason})` });
  }
  let identifier: string | null = null;
  if (response.status === test.expectStatus && test.identifierPath && test.method !== 'HEAD') {
    try {
      identifier = pick(await response.json(), test.identifierPath);
    } catch {
      identifier = null;
    }
  } else {
    await response.body?.cancel().catch(() => {});
  }
  if (response.status === test.expectStatus) return done({ ok: true, status: response.status, identifier, error: null });
  const hint = response.status === 401 || response.status === 403 ? ' (the credentials were refused)' : response.status === 429 ? ' (rate limited; try again later)' : '';
  return done({ ok: false, status: response.status, identifier: null, error: `${provider.name} answered ${response.status} to the test request${hint}` });
}
