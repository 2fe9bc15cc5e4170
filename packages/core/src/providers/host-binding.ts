/**
 * Where a provider's credentials may go. A URL filled from a template is caller-shaped (a
 * connection's config fills its placeholders), so every filled URL is checked, after filling
 * and before any request, against the provider's `allowedHosts` plus the hosts its
 * placeholder-free URLs name. The config fields that shape a URL are fixed once a connection
 * exists: pointing a connection elsewhere takes a new connection.
 */
import { CofferError } from '../errors.js';
import { fillTemplate, placeholders, type ProviderDefinition } from './provider-schema.js';

/** Every URL template of a provider, with where it is declared (for messages). */
function urlTemplates(provider: ProviderDefinition): Array<{ where: string; template: string }> {
  const out: Array<{ where: string; template: string }> = [{ where: 'api.baseUrl', template: provider.api.baseUrl }];
  if (provider.api.test) out.push({ where: 'api.test.path', template: provider.api.test.path });
  const oauth = provider.auth.oauth;
  if (oauth) {
    for (const key of ['authorizationUrl', 'tokenUrl', 'revocationUrl'] as const) {
      const template = oauth[key];
      if (template !== undefined) out.push({ where: `auth.oauth.${key}`, template });
    }
  }
  return out;
}

/** Config fields that appear in a URL template: immutable on an existing connection. */
export function urlFormingFields(provider: ProviderDefinition): ReadonlySet<string> {
  const names = new Set<string>();
  for (const { template } of urlTemplates(provider)) for (const name of placeholders(template)) names.add(name);
  return names;
}

/** The host part of an absolute URL template when it has no placeholder, lowercased. */
function fixedHost(template: string): string | undefined {
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(template)?.[1];
  if (authority === undefined || authority.includes('{')) return undefined;
  try {
    return new URL(template.replace(/\{[A-Za-z0-9_]+\}/g, 'x')).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** `host` matches `pattern`: `*`, an exact host, or `*.suffix` at a dot boundary. */
export function hostMatches(host: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".example.com"
    return host.length > suffix.length && host.endsWith(suffix);
  }
  return host === pattern;
}

const cache = new WeakMap<ProviderDefinition, readonly string[]>();

/** The host patterns a provider's filled URLs may reach. */
export function allowedHostsOf(provider: ProviderDefinition): readonly string[] {
  let hosts = cache.get(provider);
  if (!hosts) {
    const fixed = urlTemplates(provider)
      .filter((t) => t.where !== 'api.test.path')
      .map((t) => fixedHost(t.template))
      .filter((h): h is string => h !== undefined);
    hosts = Object.freeze([...new Set([...(provider.allowedHosts ?? []), ...fixed])]);
    cache.set(provider, hosts);
  }
  return hosts;
}

/** Refuses `url` unless its host is one the provider allows. Returns the parsed URL. */
export function checkProviderUrl(provider: ProviderDefinition, url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new CofferError('PROVIDER_HOST_NOT_ALLOWED', `Provider "${provider.id}": a URL filled from the connection's config is not a valid URL.`);
  }
  const host = parsed.hostname.toLowerCase();
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username || parsed.password || !allowedHostsOf(provider).some((p) => hostMatches(host, p))) {
    throw new CofferError('PROVIDER_HOST_NOT_ALLOWED', `Provider "${provider.id}" does not allow requests to that host${shownHost(host)}; its allowedHosts are: ${allowedHostsOf(provider).join(', ')}.`);
  }
  return parsed;
}

/**
 * Fills every URL template of `provider` from `config` and checks each against its hosts: a
 * connection is refused when it is made, not at its first request.
 */
export function checkProviderUrls(provider: ProviderDefinition, config: Readonly<Record<string, string>>): void {
  let base: string | undefined;
  for (const { where, template } of urlTemplates(provider)) {
    // Templates whose fields are optional and unset are checked when they are used.
    if (placeholders(template).some((name) => config[name] === undefined)) continue;
    if (where === 'api.test.path') {
      if (base !== undefined) providerTestUrl(provider, base, config);
      continue;
    }
    const filled = fillProviderUrl(provider, template, config);
    if (where === 'api.baseUrl') base = filled;
  }
}

/**
 * Fills `template` from a connection's fields (URL-encoded when `encode`); a missing field is
 * CONNECTION_INVALID naming it, never the other values.
 */
export function fillFromConnection(provider: ProviderDefinition, template: string, values: Readonly<Record<string, string | undefined>>, encode: boolean): string {
  try {
    return fillTemplate(template, values, encode);
  } catch (err) {
    throw new CofferError('CONNECTION_INVALID', `Provider "${provider.id}": ${(err as Error).message}; set that field on the connection.`);
  }
}

/** Fills a URL template from config and checks the result against the provider's hosts. */
export function fillProviderUrl(provider: ProviderDefinition, template: string, config: Readonly<Record<string, string | undefined>>): string {
  const filled = fillFromConnection(provider, template, config, true);
  checkProviderUrl(provider, filled);
  return filled;
}

/** The test request's URL: the base URL joined with the filled test path, checked against the hosts. */
export function providerTestUrl(provider: ProviderDefinition, baseUrl: string, config: Readonly<Record<string, string>>): URL {
  const path = provider.api.test ? fillFromConnection(provider, provider.api.test.path, config, true) : '';
  return checkProviderUrl(provider, baseUrl.replace(/\/+$/, '') + path);
}

/** A host as an error message may show it: only a plain host name (it is caller-set config). */
export function shownHost(host: string): string {
  return /^[a-z0-9.-]{1,253}$/.test(host) ? ` (${host})` : '';
}

/**
 * The config fields that form a URL are fixed once a connection exists: changing one would send
 * the stored credentials (and, for OAuth, the client secret and refresh token) somewhere new.
 */
export function refuseUrlChange(provider: ProviderDefinition, current: Record<string, string>, next: Record<string, string>): void {
  for (const name of urlFormingFields(provider)) {
    if (current[name] !== next[name]) {
      throw new CofferError('CONNECTION_FIELD_IMMUTABLE', `config.${name} forms a URL of provider "${provider.id}" and cannot change on an existing connection; create a new connection for the other account or host.`, { field: name });
    }
  }
}
