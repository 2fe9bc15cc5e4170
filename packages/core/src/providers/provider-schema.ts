/**
 * What a provider definition may say, as a zod schema. Definitions are data (JSON or YAML files),
 * checked here at load: a bad one is refused with its file, the field and the reason.
 *
 * Templates: `{name}` in a URL or an injected header/query value is replaced by the connection
 * config field or credential field of that name. Every placeholder must name a declared field;
 * `loadProviderCatalog` checks that too, so a typo fails at start, not at the first request.
 */
import { z } from 'zod';
import { PROVIDER_ID as ID } from './provider-id.js';

export const AUTH_MODES = ['api_key', 'basic', 'oauth2', 'oauth2_client_credentials', 'custom'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** Names Coffer fills in itself (OAuth tokens, basic auth): a declared field may not shadow them. */
const RESERVED_FIELDS: ReadonlySet<string> = new Set(['access_token', 'refresh_token', 'token_type', 'basic_auth']);
const FIELD = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * A field pattern, compiled as `^(?:…)$`: a whole value must match, whatever the author wrote.
 * (`^a|b$` taken as written would accept `a.attacker.example`.)
 */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** A regular expression given as text; refused at load when it does not compile. */
const Pattern = z.string().min(1).max(500).refine((p) => {
  try {
    compilePattern(p);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

/**
 * An allowed host: `*` (any; for generic providers that rely on the connection's fixed config
 * and the OAuth client's allowed origins), an exact lowercase host name or IP literal, or
 * `*.suffix`, which matches any host ending in `.suffix` (at a dot boundary, not the suffix itself).
 */
const HostPattern = z
  .string()
  .max(253)
  .regex(/^(\*|(\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|\[[0-9a-f:.]+\])$/, 'must be *, a lowercase host name, an IP address, or *.suffix');

/**
 * An absolute https URL, possibly with {placeholders}. Plain http is accepted here, but the
 * outbound layer sends plain http only to hosts the operator allowlisted (COFFER_OUTBOUND_ALLOW):
 * an on-premises provider or a loopback stand-in.
 */
const UrlTemplate = z
  .string()
  .max(2000)
  .refine((u) => /^https?:\/\/[^\s]+$/.test(u), 'must be an https URL (http only for hosts in COFFER_OUTBOUND_ALLOW)')
  // With each placeholder standing in for a plain value, it must parse: a URL that cannot is
  // refused at load, not at its first request.
  .refine((u) => {
    try {
      return new URL(u.replace(/\{[A-Za-z0-9_]+\}/g, '1')).hostname !== '';
    } catch {
      return false;
    }
  }, 'is not a valid URL (with each {placeholder} standing in for a plain value such as 1)');

export const CredentialField = z
  .object({
    name: z.string().regex(FIELD, 'must be lower_snake_case, starting with a letter'),
    label: z.string().min(1).max(100),
    /** Shown in the catalog so a form can hide the input; every credential field is stored in the vault and masked either way. */
    secret: z.boolean().default(true),
    required: z.boolean().default(true),
    pattern: Pattern.optional(),
    description: z.string().max(500).optional(),
  })
  .strict();
export type CredentialField = z.infer<typeof CredentialField>;

export const ConfigField = z
  .object({
    name: z.string().regex(FIELD, 'must be lower_snake_case, starting with a letter'),
    label: z.string().min(1).max(100),
    required: z.boolean().default(true),
    pattern: Pattern.optional(),
    description: z.string().max(500).optional(),
    default: z.string().max(500).optional(),
  })
  .strict();
export type ConfigField = z.infer<typeof ConfigField>;

export const OAuthSettings = z
  .object({
    /** Absent for the client credentials grant. */
    authorizationUrl: UrlTemplate.optional(),
    tokenUrl: UrlTemplate,
    revocationUrl: UrlTemplate.optional(),
    /** The authorization server's issuer: `iss` on a callback must equal it (RFC 9207). */
    issuer: z.string().max(2000).regex(/^https?:\/\/[^\s]+$/, 'must be a URL').optional(),
    /** The server always sends `iss` on its callbacks: a callback without it is refused. Needs `issuer`. */
    issuerInCallback: z.boolean().default(false),
    scopes: z.array(z.string().min(1).max(200)).max(100).default([]),
    scopeSeparator: z.string().min(1).max(3).default(' '),
    pkce: z.boolean().default(true),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']).default('client_secret_basic'),
    /** Seconds a token is assumed valid when the token response has no `expires_in`; absent: validated periodically. */
    defaultExpiresIn: z.number().int().min(60).max(10 * 365 * 86400).optional(),
    /** Refresh this long before expiry (default 300 s). */
    refreshBufferSeconds: z.number().int().min(0).max(86400).default(300),
    /** Extra query parameters for the authorization request (e.g. access_type=offline). */
    authorizationParams: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.string().max(500)).default({}),
  })
  .strict();
export type OAuthSettings = z.infer<typeof OAuthSettings>;

const HeaderName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name');

export const ApiSettings = z
  .object({
    baseUrl: UrlTemplate,
    /** How a credential is put on a request: header and query templates. */
    inject: z
      .object({
        headers: z.record(HeaderName, z.string().min(1).max(1000)).default({}),
        query: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.string().min(1).max(1000)).default({}),
      })
      .strict(),
    /** A cheap authenticated request that proves the credentials work. */
    test: z
      .object({
        method: z.enum(['GET', 'POST', 'HEAD']).default('GET'),
        path: z.string().regex(/^\/[^\s]*$/, 'must start with /').max(1000),
        expectStatus: z.number().int().min(200).max(299).default(200),
        /** Where the remote account id is in the JSON answer, as a dotted path (e.g. `shop.id`). */
        identifierPath: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/).optional(),
      })
      .strict()
      .optional(),
    /** Advisory: shown in the catalog for callers; Coffer does not enforce it. */
    rateLimit: z.object({ requests: z.number().int().min(1).max(100000), perSeconds: z.number().int().min(1).max(86400) }).strict().optional(),
  })
  .strict();
export type ApiSettings = z.infer<typeof ApiSettings>;

export const ProviderDefinition = z
  .object({
    id: z.string().regex(ID, 'must be 1-64 lowercase letters, digits and "-"'),
    name: z.string().min(1).max(100),
    description: z.string().max(1000).optional(),
    docs: z.string().max(2000).regex(/^https:\/\/[^\s]+$/, 'must be an https URL').optional(),
    auth: z
      .object({
        mode: z.enum(AUTH_MODES),
        /** Credential fields for api_key, basic and custom; OAuth modes store a token set instead. */
        fields: z.array(CredentialField).max(20).default([]),
        oauth: OAuthSettings.optional(),
      })
      .strict(),
    /** Non-secret connection fields (e.g. a Shopify shop domain), usable as URL placeholders. */
    config: z.array(ConfigField).max(20).default([]),
    /**
     * Hosts a URL filled from a template may reach (exact, `*.suffix`, or `*`). Required when any
     * URL template has a placeholder; the hosts of placeholder-free URLs are allowed implicitly.
     */
    allowedHosts: z.array(HostPattern).min(1).max(200).optional(),
    api: ApiSettings,
  })
  .strict()
  .superRefine((def, ctx) => {
    const { mode, fields, oauth } = def.auth;
    const isOAuth = mode === 'oauth2' || mode === 'oauth2_client_credentials';
    if (isOAuth && !oauth) ctx.addIssue({ code: 'custom', path: ['auth', 'oauth'], message: `is required for auth mode ${mode}` });
    if (!isOAuth && oauth) ctx.addIssue({ code: 'custom', path: ['auth', 'oauth'], message: `is only for OAuth modes, not ${mode}` });
    if (oauth?.issuerInCallback && !oauth.issuer) ctx.addIssue({ code: 'custom', path: ['auth', 'oauth', 'issuerInCallback'], message: 'needs issuer: the iss a callback must carry' });
    if (mode === 'oauth2' && oauth && !oauth.authorizationUrl) ctx.addIssue({ code: 'custom', path: ['auth', 'oauth', 'authorizationUrl'], message: 'is required for the authorization code flow' });
    if (isOAuth && fields.length > 0) ctx.addIssue({ code: 'custom', path: ['auth', 'fields'], message: 'must be empty for OAuth modes (the token set is stored instead)' });
    if (!isOAuth && fields.length === 0) ctx.addIssue({ code: 'custom', path: ['auth', 'fields'], message: `must declare at least one credential field for auth mode ${mode}` });
    if (mode === 'basic') {
      const names = fields.map((f) => f.name);
      if (!names.includes('username') || !names.includes('password')) ctx.addIssue({ code: 'custom', path: ['auth', 'fields'], message: 'must include username and password for basic auth' });
    }
    const seen = new Set<string>();
    const once = (name: string, path: (string | number)[]) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path, message: `declares "${name}" twice (credential and config fields share one namespace)` });
      seen.add(name);
    };
    fields.forEach((f, i) => once(f.name, ['auth', 'fields', i, 'name']));
    def.config.forEach((f, i) => once(f.name, ['config', i, 'name']));
    // Names Coffer fills in itself may not be shadowed by a field the caller sets.
    const reserved = (name: string, path: (string | number)[]) =>
      ctx.addIssue({ code: 'custom', path, message: `uses the reserved name "${name}" (${[...RESERVED_FIELDS].join(', ')} are filled in by Coffer)` });
    def.config.forEach((f, i) => RESERVED_FIELDS.has(f.name) && reserved(f.name, ['config', i, 'name']));
    if (mode === 'basic') fields.forEach((f, i) => f.name === 'basic_auth' && reserved(f.name, ['auth', 'fields', i, 'name']));

    // Placeholders: URLs may use config fields only (a credential never goes into a URL path or
    // host); injected headers and query values may also use credentials.
    const configNames = new Set(def.config.map((f) => f.name));
    const credentialNames = new Set([...fields.map((f) => f.name), ...(isOAuth ? ['access_token', 'token_type'] : []), ...(mode === 'basic' ? ['basic_auth'] : [])]);
    const configByName = new Map(def.config.map((f) => [f.name, f]));
    const check = (template: string | undefined, path: (string | number)[], allowCredentials: boolean) => {
      if (template === undefined) return;
      if (/[{}]/.test(template.replace(/\{[A-Za-z0-9_]+\}/g, ''))) ctx.addIssue({ code: 'custom', path, message: 'has a brace that is not part of a {field} placeholder' });
      for (const name of placeholders(template)) {
        const config = configByName.get(name);
        if (config) {
          // A config value that shapes a URL is caller input: without a pattern it could point the
          // credential at another host or path (SSRF). Patterns always match whole values, and the
          // filled URL is checked against allowedHosts as well.
          if (!allowCredentials && !config.pattern) {
            ctx.addIssue({ code: 'custom', path, message: `uses {${name}}, so config field "${name}" needs a pattern that admits only the hosts or values it should` });
          }
          if (!allowCredentials && !def.allowedHosts) {
            ctx.addIssue({ code: 'custom', path: ['allowedHosts'], message: `is required: ${path.join('.')} has the placeholder {${name}}, so the hosts it may reach must be declared (exact, *.suffix, or * for a generic provider)` });
          }
          continue;
        }
        if (allowCredentials && credentialNames.has(name)) continue;
        const known = [...configNames, ...(allowCredentials ? credentialNames : [])];
        ctx.addIssue({ code: 'custom', path, message: `uses {${name}}, which is not a declared ${allowCredentials ? 'field' : 'config field (URLs never carry credentials)'}${known.length ? ` (known here: ${known.join(', ')})` : ''}` });
      }
    };
    def.config.forEach((f, i) => {
      if (f.default === undefined || !f.pattern) return;
      let matches: boolean;
      try {
        matches = compilePattern(f.pattern).test(f.default);
      } catch {
        return; // the pattern itself is reported as invalid
      }
      if (!matches) ctx.addIssue({ code: 'custom', path: ['config', i, 'default'], message: "does not match the field's own pattern" });
    });
    if (oauth) for (const key of ['authorizationUrl', 'tokenUrl', 'revocationUrl'] as const) check(oauth[key], ['auth', 'oauth', key], false);
    check(def.api.baseUrl, ['api', 'baseUrl'], false);
    check(def.api.test?.path, ['api', 'test', 'path'], false);
    for (const [k, v] of Object.entries(def.api.inject.headers)) check(v, ['api', 'inject', 'headers', k], true);
    for (const [k, v] of Object.entries(def.api.inject.query)) check(v, ['api', 'inject', 'query', k], true);
    if (Object.keys(def.api.inject.headers).length + Object.keys(def.api.inject.query).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['api', 'inject'], message: 'must put the credential on requests through at least one header or query parameter' });
    }
  });
export type ProviderDefinition = z.infer<typeof ProviderDefinition>;

/** The `{name}` placeholders of a template, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);
}

/**
 * Fills `{name}` placeholders from `values`. Values are URL-encoded when `encode` is set (for URL
 * parts). A missing value is an error naming the field, never the other values.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string | undefined>>, encode: boolean): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const v = Object.hasOwn(values, name) ? values[name] : undefined;
    if (v === undefined) throw new Error(`missing value for {${name}}`);
    return encode ? encodeURIComponent(v) : v;
  });
}
