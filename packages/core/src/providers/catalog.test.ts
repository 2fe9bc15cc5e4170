import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { CofferError } from '../errors.js';
import { BUILTIN_PROVIDERS_DIR, loadProviderCatalog, ProviderCatalog, readProviderFile, type CatalogEntry } from './catalog.js';
import { compilePattern, fillTemplate, placeholders, type ProviderDefinition } from './provider-schema.js';
import { checkConfig } from '../connections/connection-fields.js';
import { createOutbound, type Outbound } from '../outbound/http.js';
import { expectCode, thrown } from '../../test/expect-code.js';

// Definitions in these tests are loose JSON data on purpose (they are written to files).
type Data = any;

const REQUIRED_BUILTINS = [
  'shopify',
  'xero',
  'amazon-sp-api',
  'takealot',
  'google',
  'whatsapp-business',
  'voicenter',
  'green-invoice',
  'icount',
  'clerk',
  'generic-api-key',
  'generic-oauth2',
];

/** Values a host or URL-part field must never accept (loopback, paths, ports, link-local metadata). */
const SSRF_PROBES = ['127.0.0.1', 'localhost', 'evil.com/x', 'a.b:8080', '169.254.169.254'];

/** A valid api_key definition with a config field used in the base URL. */
function apiKeyDef(mutate?: (d: Data) => void): Data {
  const d: Data = {
    id: 'acme',
    name: 'Acme',
    description: 'Acme API, for tests.',
    docs: 'https://acme.example/docs',
    auth: {
      mode: 'api_key',
      fields: [{ name: 'api_key', label: 'API key', pattern: '^ak_[a-z0-9]+$' }],
    },
    config: [{ name: 'region', label: 'Region', pattern: '^(eu|us)$', default: 'eu' }],
    // The base URL has a placeholder: the hosts it may reach are declared.
    allowedHosts: ['eu.acme.example', 'us.acme.example'],
    api: {
      baseUrl: 'https://{region}.acme.example/v1',
      inject: { headers: { Authorization: 'Bearer {api_key}' } },
      test: { path: '/me' },
    },
  };
  mutate?.(d);
  return d;
}

/** A valid authorization-code OAuth definition. */
function oauthDef(mutate?: (d: Data) => void): Data {
  const d: Data = {
    id: 'acme-oauth',
    name: 'Acme OAuth',
    auth: {
      mode: 'oauth2',
      oauth: {
        authorizationUrl: 'https://auth.acme.example/authorize',
        tokenUrl: 'https://auth.acme.example/token',
      },
    },
    api: {
      baseUrl: 'https://api.acme.example',
      inject: { headers: { Authorization: '{token_type} {access_token}' } },
    },
  };
  mutate?.(d);
  return d;
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-catalog-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeText(name: string, text: string, inDir = dir): string {
  const file = join(inDir, name);
  writeFileSync(file, text);
  return file;
}

function writeJson(name: string, data: unknown, inDir = dir): string {
  return writeText(name, JSON.stringify(data, null, 2), inDir);
}

/** The call throws PROVIDER_INVALID, and the message has every fragment (file, field path, reason). */
function expectInvalid(fn: () => unknown, ...fragments: string[]): CofferError {
  const err = expectCode(fn, 'PROVIDER_INVALID');
  for (const fragment of fragments) expect(err.message).toContain(fragment);
  return err;
}

/** Writes `data` to a fresh JSON file and expects readProviderFile to refuse it naming the file and `fragments`. */
function expectRefused(data: unknown, ...fragments: string[]): CofferError {
  const file = writeJson('def.json', data);
  const err = expectInvalid(() => readProviderFile(file), `Provider definition ${file}:`, ...fragments);
  expect(err.details).toEqual({ file });
  return err;
}

describe('the built-in catalog', () => {
  const catalog = loadProviderCatalog();
  const entries = catalog.list();

  it('loads from BUILTIN_PROVIDERS_DIR and holds the documented providers', () => {
    expect(existsSync(BUILTIN_PROVIDERS_DIR)).toBe(true);
    const ids = entries.map((e) => e.definition.id);
    for (const id of REQUIRED_BUILTINS) {
      expect(ids).toContain(id);
      expect(catalog.has(id)).toBe(true);
      expect(catalog.get(id).id).toBe(id);
    }
    // Every definition file in the directory is in the catalog: none is silently skipped.
    const files = readdirSync(BUILTIN_PROVIDERS_DIR).filter((n) => /\.(json|ya?ml)$/.test(n) && !n.startsWith('.'));
    expect(entries).toHaveLength(files.length);
  });

  it('marks every entry builtin, with its file, a docs URL and a description', () => {
    for (const entry of entries) {
      const { definition } = entry;
      expect(entry.source, definition.id).toBe('builtin');
      expect(entry.file.startsWith(join(BUILTIN_PROVIDERS_DIR))).toBe(true);
      expect(readProviderFile(entry.file)).toEqual(definition);
      expect(definition.docs, `${definition.id} docs`).toBeTypeOf('string');
      expect(new URL(definition.docs!).protocol, `${definition.id} docs`).toBe('https:');
      expect(definition.description, `${definition.id} description`).toBeTypeOf('string');
      expect(definition.description!.trim().length, `${definition.id} description`).toBeGreaterThan(0);
    }
  });

  it('gives every OAuth-mode provider oauth settings with a tokenUrl (and an authorizationUrl for oauth2)', () => {
    const oauthProviders = entries.filter((e) => e.definition.auth.mode === 'oauth2' || e.definition.auth.mode === 'oauth2_client_credentials');
    expect(oauthProviders.map((e) => e.definition.id)).toEqual(expect.arrayContaining(['shopify', 'xero', 'google', 'amazon-sp-api', 'generic-oauth2']));
    for (const { definition } of oauthProviders) {
      const oauth = definition.auth.oauth;
      expect(oauth, definition.id).toBeDefined();
      expect(oauth!.tokenUrl, definition.id).toMatch(/^https:\/\//);
      if (definition.auth.mode === 'oauth2') expect(oauth!.authorizationUrl, definition.id).toMatch(/^https:\/\//);
      expect(definition.auth.fields, definition.id).toEqual([]);
    }
    for (const { definition } of entries.filter((e) => !oauthProviders.includes(e))) {
      expect(definition.auth.oauth, definition.id).toBeUndefined();
      expect(definition.auth.fields.length, definition.id).toBeGreaterThan(0);
    }
  });

  it('guards every config field used in a base URL or OAuth URL with a pattern that refuses SSRF targets, and declares allowedHosts', () => {
    const guarded: string[] = [];
    for (const { definition } of entries) {
      const oauth = definition.auth.oauth;
      const urls = [definition.api.baseUrl, definition.api.test?.path, oauth?.authorizationUrl, oauth?.tokenUrl, oauth?.revocationUrl].filter((u): u is string => u !== undefined);
      for (const url of urls) {
        if (placeholders(url).length > 0) expect(definition.allowedHosts, `${definition.id}: ${url} has a placeholder but no allowedHosts`).toBeDefined();
        for (const name of placeholders(url)) {
          const where = `${definition.id}: {${name}} in ${url}`;
          const field = definition.config.find((f) => f.name === name);
          expect(field, where).toBeDefined();
          expect(field!.pattern, `${where} has no pattern`).toBeTypeOf('string');
          // The same compilation the connection code uses (whole value).
          const re = compilePattern(field!.pattern!);
          for (const probe of SSRF_PROBES) expect(re.test(probe), `${where} accepts ${JSON.stringify(probe)}`).toBe(false);
          if (field!.default !== undefined) expect(re.test(field!.default), `${where} default`).toBe(true);
          guarded.push(`${definition.id}.${name}`);
        }
      }
    }
    // The scan is not vacuous: the providers with host placeholders were seen.
    expect(new Set(guarded)).toEqual(
      new Set([
        'shopify.shop',
        'amazon-sp-api.seller_central_host',
        'amazon-sp-api.endpoint',
        'generic-api-key.api_host',
        'generic-oauth2.auth_host',
        'generic-oauth2.api_host',
        // A test path placeholder shapes the URL too.
        'whatsapp-business.phone_number_id',
      ]),
    );
  });

  it('has host patterns that still accept the hosts they are for', () => {
    const accepts = (id: string, field: string, value: string) => compilePattern(catalog.get(id).config.find((f) => f.name === field)!.pattern!).test(value);
    expect(accepts('shopify', 'shop', 'example-store.myshopify.com')).toBe(true);
    expect(accepts('shopify', 'shop', 'example-store.myshopify.com.evil.com')).toBe(false);
    expect(accepts('generic-api-key', 'api_host', 'api.example.com')).toBe(true);
    expect(accepts('generic-oauth2', 'auth_host', 'auth.example.com')).toBe(true);
    expect(accepts('amazon-sp-api', 'endpoint', 'sandbox.sellingpartnerapi-eu.amazon.com')).toBe(true);
  });

  it('refuses a missing built-in directory with INTERNAL', () => {
    const err = expectCode(() => loadProviderCatalog({ builtinDir: join(dir, 'missing') }), 'INTERNAL');
    expect(err.message).toContain(join(dir, 'missing'));
  });
});

describe('a custom providers directory', () => {
  it('adds definitions from .json, .yaml and .yml files, and ignores other extensions and dotfiles', () => {
    writeJson('one.json', apiKeyDef((d) => (d.id = 'custom-json')));
    writeText(
      'two.yaml',
      [
        '# A YAML definition: comments, block scalars and anchors are YAML, not JSON.',
        'id: custom-yaml',
        'name: Custom YAML',
        'description: >-',
        '  Folded over',
        '  two lines.',
        'auth:',
        '  mode: basic',
        '  fields:',
        '    - &field { name: username, label: User name, secret: false }',
        '    - name: password',
        '      label: Password',
        'api:',
        "  baseUrl: 'https://api.yaml.example'",
        '  inject:',
        '    headers:',
        "      Authorization: 'Basic {basic_auth}'",
        '',
      ].join('\n'),
    );
    writeText('three.yml', stringifyYaml(oauthDef((d) => (d.id = 'custom-yml'))));
    // Not definitions: these would be refused if they were read.
    writeText('notes.txt', 'id: ignored-txt\n');
    writeText('README.md', '# not a definition {');
    writeText('one.json.bak', '{ broken');
    writeText('.hidden.json', '{ broken');
    writeText('.hidden.yaml', ': : :');
    mkdirSync(join(dir, 'nested'));
    writeJson('in-nested.json', apiKeyDef((d) => (d.id = 'custom-nested')), join(dir, 'nested'));

    const catalog = loadProviderCatalog({ dir });
    const custom = catalog.list().filter((e) => e.source === 'custom');
    expect(custom.map((e) => e.definition.id)).toEqual(['custom-json', 'custom-yaml', 'custom-yml']);
    expect(custom.map((e) => e.file)).toEqual([join(dir, 'one.json'), join(dir, 'two.yaml'), join(dir, 'three.yml')]);
    expect(catalog.has('ignored-txt')).toBe(false);
    expect(catalog.has('custom-nested')).toBe(false);
    // The built-ins are still there.
    for (const id of REQUIRED_BUILTINS) expect(catalog.get(id).id).toBe(id);

    const yaml = catalog.get('custom-yaml');
    expect(yaml.description).toBe('Folded over two lines.');
    expect(yaml.auth.fields).toEqual([
      { name: 'username', label: 'User name', secret: false, required: true },
      { name: 'password', label: 'Password', secret: true, required: true },
    ]);
    expect(catalog.get('custom-yml').auth.oauth).toMatchObject({ tokenUrl: 'https://auth.acme.example/token', pkce: true, scopes: [] });
  });

  it('applies the schema defaults', () => {
    const def = readProviderFile(writeJson('acme.json', apiKeyDef()));
    expect(def.auth.fields[0]).toEqual({ name: 'api_key', label: 'API key', pattern: '^ak_[a-z0-9]+$', secret: true, required: true });
    expect(def.api.inject.query).toEqual({});
    expect(def.api.test).toEqual({ path: '/me', method: 'GET', expectStatus: 200 });
    const oauth = readProviderFile(writeJson('oauth.json', oauthDef())).auth.oauth!;
    expect(oauth).toMatchObject({ scopes: [], scopeSeparator: ' ', pkce: true, tokenEndpointAuthMethod: 'client_secret_basic', refreshBufferSeconds: 300, authorizationParams: {} });
  });

  it('lets a custom definition with a built-in id replace the built-in', () => {
    const builtin = loadProviderCatalog();
    writeText(
      'shopify.yaml',
      stringifyYaml(
        oauthDef((d) => {
          d.id = 'shopify';
          d.name = 'Shopify (pinned 2024-10)';
        }),
      ),
    );
    const catalog = loadProviderCatalog({ dir });
    expect(catalog.get('shopify').name).toBe('Shopify (pinned 2024-10)');
    const entry = catalog.list().find((e) => e.definition.id === 'shopify')!;
    expect(entry.source).toBe('custom');
    expect(entry.file).toBe(join(dir, 'shopify.yaml'));
    expect(catalog.list()).toHaveLength(builtin.list().length);
    expect(catalog.list().filter((e) => e.source === 'custom')).toHaveLength(1);
    expect(catalog.get('xero')).toEqual(builtin.get('xero'));
  });

  it('accepts an empty directory', () => {
    expect(loadProviderCatalog({ dir }).list()).toHaveLength(loadProviderCatalog().list().length);
  });

  it('refuses a missing directory with CONFIG_INVALID naming COFFER_PROVIDERS_DIR', () => {
    const missing = join(dir, 'does-not-exist');
    const err = expectCode(() => loadProviderCatalog({ dir: missing }), 'CONFIG_INVALID');
    expect(err.message).toContain('COFFER_PROVIDERS_DIR');
    expect(err.message).toContain(missing);
  });

  it('refuses a file in place of a directory with CONFIG_INVALID', () => {
    const file = writeJson('acme.json', apiKeyDef());
    expect(expectCode(() => loadProviderCatalog({ dir: file }), 'CONFIG_INVALID').message).toContain('COFFER_PROVIDERS_DIR');
  });

  it('stops the whole load on one bad definition, naming its file', () => {
    writeJson('good.json', apiKeyDef());
    const bad = writeJson('bad.json', apiKeyDef((d) => (d.id = 'Not An Id')));
    expectInvalid(() => loadProviderCatalog({ dir }), bad, 'field id');
  });

  it('refuses two files with the same id in one directory, naming both', () => {
    const first = writeJson('a.json', apiKeyDef((d) => (d.id = 'twin')));
    const second = writeText('b.yaml', stringifyYaml(apiKeyDef((d) => (d.id = 'twin'))));
    const err = expectInvalid(() => loadProviderCatalog({ dir }), first, second, 'field id "twin"');
    expect(err.details).toEqual({ file: second });
  });

  it('refuses two files with the same id in the built-in directory too', () => {
    writeJson('a.json', apiKeyDef());
    writeJson('b.json', apiKeyDef());
    expectInvalid(() => loadProviderCatalog({ builtinDir: dir }), join(dir, 'a.json'), join(dir, 'b.json'), 'field id "acme"');
  });
});

describe('readProviderFile refusals', () => {
  it('refuses an unknown top-level field', () => {
    expectRefused(apiKeyDef((d) => (d.colour = 'red')), 'field (top level)', 'has unknown field(s) colour');
  });

  it('refuses an unknown nested field with its path', () => {
    expectRefused(oauthDef((d) => (d.auth.oauth.tokenURL = 'https://x.example/t')), 'field auth.oauth', 'has unknown field(s) tokenURL');
    expectRefused(apiKeyDef((d) => (d.config[0].secret = true)), 'field config.0', 'has unknown field(s) secret');
  });

  it('refuses a field pattern that is not a valid regular expression', () => {
    expectRefused(apiKeyDef((d) => (d.config[0].pattern = '^([a-z]+$')), 'field config.0.pattern', 'must be a valid regular expression');
    expectRefused(apiKeyDef((d) => (d.auth.fields[0].pattern = '[')), 'field auth.fields.0.pattern', 'must be a valid regular expression');
    // Valid without the u flag, invalid with it (the flag the connection code compiles with).
    expectRefused(apiKeyDef((d) => (d.config[0].pattern = '\\-x{')), 'field config.0.pattern', 'must be a valid regular expression');
  });

  it('refuses a placeholder in api.baseUrl that names no declared field', () => {
    expectRefused(apiKeyDef((d) => (d.api.baseUrl = 'https://{nope}.acme.example')), 'field api.baseUrl', 'uses {nope}, which is not a declared config field', 'known here: region');
  });

  it('refuses a credential placeholder in a URL: URLs may use config fields only', () => {
    const err = expectRefused(apiKeyDef((d) => (d.api.baseUrl = 'https://acme.example/{api_key}')), 'field api.baseUrl', 'uses {api_key}, which is not a declared config field (URLs never carry credentials)');
    expect(err.message).toContain('(known here: region)');
    expectRefused(oauthDef((d) => (d.auth.oauth.tokenUrl = 'https://auth.acme.example/token/{access_token}')), 'field auth.oauth.tokenUrl', 'uses {access_token}');
    expectRefused(oauthDef((d) => (d.auth.oauth.revocationUrl = 'https://auth.acme.example/{token_type}')), 'field auth.oauth.revocationUrl', 'uses {token_type}');
    expectRefused(apiKeyDef((d) => (d.api.test.path = '/keys/{api_key}')), 'field api.test.path', 'uses {api_key}');
  });

  it('refuses a URL placeholder whose config field has no pattern (SSRF guard)', () => {
    expectRefused(apiKeyDef((d) => delete d.config[0].pattern), 'field api.baseUrl', 'uses {region}, so config field "region" needs a pattern');
    expectRefused(
      oauthDef((d) => {
        d.config = [{ name: 'tenant_slug', label: 'Tenant' }];
        d.allowedHosts = ['auth.acme.example'];
        d.auth.oauth.tokenUrl = 'https://auth.acme.example/{tenant_slug}/token';
      }),
      'field auth.oauth.tokenUrl',
      'config field "tenant_slug" needs a pattern',
    );
    expectRefused(
      apiKeyDef((d) => {
        d.api.baseUrl = 'https://api.acme.example';
        d.api.test.path = '/v1/{region}/me';
        delete d.config[0].pattern;
      }),
      'field api.test.path',
      'config field "region" needs a pattern',
    );
  });

  it('refuses a templated URL without allowedHosts, naming allowedHosts', () => {
    expectRefused(apiKeyDef((d) => delete d.allowedHosts), 'field allowedHosts', 'is required', 'api.baseUrl has the placeholder {region}');
    expectRefused(
      oauthDef((d) => {
        d.config = [{ name: 'tenant_slug', label: 'Tenant', pattern: '[a-z]+' }];
        d.auth.oauth.tokenUrl = 'https://auth.acme.example/{tenant_slug}/token';
      }),
      'field allowedHosts',
      'auth.oauth.tokenUrl has the placeholder {tenant_slug}',
    );
    expectRefused(
      apiKeyDef((d) => {
        delete d.allowedHosts;
        d.api.baseUrl = 'https://api.acme.example';
        d.api.test.path = '/v1/{region}/me';
      }),
      'field allowedHosts',
      'api.test.path has the placeholder {region}',
    );
    // An empty list is no declaration either, and host patterns are checked.
    expectRefused(apiKeyDef((d) => (d.allowedHosts = [])), 'field allowedHosts');
    expectRefused(apiKeyDef((d) => (d.allowedHosts = ['https://eu.acme.example'])), 'field allowedHosts.0', 'must be *, a lowercase host name, an IP address, or *.suffix');
    expectRefused(apiKeyDef((d) => (d.allowedHosts = ['EU.acme.example'])), 'field allowedHosts.0');
    // Placeholder-free URLs need none.
    const fixed = readProviderFile(writeJson('fixed.json', oauthDef()));
    expect(fixed.allowedHosts).toBeUndefined();
    // Exact hosts, *.suffix and * are all declarations.
    for (const hosts of [['eu.acme.example'], ['*.acme.example'], ['*'], ['127.0.0.1']]) {
      expect(readProviderFile(writeJson('hosts.json', apiKeyDef((d) => (d.allowedHosts = hosts)))).allowedHosts).toEqual(hosts);
    }
  });

  it('compiles field patterns as whole-value matches, whatever the author wrote', () => {
    // Unanchored: accepted at load, and still matches whole values only.
    const unanchored = readProviderFile(writeJson('unanchored.json', apiKeyDef((d) => (d.config[0].pattern = '(eu|us)'))));
    expect(checkConfig(unanchored, { region: 'us' })).toEqual({ region: 'us' });
    expectCode(() => checkConfig(unanchored, { region: 'eu.attacker.example' }), 'CONNECTION_INVALID');
    expectCode(() => checkConfig(unanchored, { region: 'attacker.example/eu' }), 'CONNECTION_INVALID');
    // `^a|b$` taken as written would accept `a.attacker.example`; compiled whole, only `a` or `b`.
    const alternation = readProviderFile(writeJson('alternation.json', apiKeyDef((d) => (d.config[0] = { name: 'region', label: 'Region', pattern: '^eu|us$', default: 'eu' }))));
    expect(checkConfig(alternation, { region: 'eu' })).toEqual({ region: 'eu' });
    expect(checkConfig(alternation, { region: 'us' })).toEqual({ region: 'us' });
    expectCode(() => checkConfig(alternation, { region: 'eu.attacker.example' }), 'CONNECTION_INVALID');
    expectCode(() => checkConfig(alternation, { region: 'attacker.example.us' }), 'CONNECTION_INVALID');
    expect(compilePattern('^a|b$').test('a.attacker.example')).toBe(false);
    expect(compilePattern('^a|b$').test('a')).toBe(true);
    expect(compilePattern('^a|b$').test('b')).toBe(true);
    // The default is checked with the same whole-value compilation.
    expectRefused(apiKeyDef((d) => (d.config[0] = { name: 'region', label: 'Region', pattern: '^eu|us$', default: 'eu-west' })), 'field config.0.default', "does not match the field's own pattern");
  });

  it('refuses issuerInCallback without an issuer', () => {
    expectRefused(oauthDef((d) => (d.auth.oauth.issuerInCallback = true)), 'field auth.oauth.issuerInCallback', 'needs issuer');
    const ok = readProviderFile(
      writeJson(
        'iss.json',
        oauthDef((d) => {
          d.auth.oauth.issuerInCallback = true;
          d.auth.oauth.issuer = 'https://auth.acme.example';
        }),
      ),
    );
    expect(ok.auth.oauth).toMatchObject({ issuerInCallback: true, issuer: 'https://auth.acme.example' });
    expect(readProviderFile(writeJson('default.json', oauthDef())).auth.oauth!.issuerInCallback).toBe(false);
  });

  it("refuses a config default that does not match the field's own pattern", () => {
    expectRefused(apiKeyDef((d) => (d.config[0].default = 'mars')), 'field config.0.default', "does not match the field's own pattern");
  });

  it('refuses names Coffer fills in itself, stray braces, and a docs link that is not https', () => {
    expectRefused(oauthDef((d) => (d.config = [{ name: 'access_token', label: 'Token', pattern: '^[a-z]+$' }])), 'field config.0.name', 'reserved name "access_token"');
    expectRefused(apiKeyDef((d) => (d.api.inject.headers.Authorization = 'Bearer {api-key}')), 'field api.inject.headers.Authorization', 'brace that is not part of a {field} placeholder');
    expectRefused(apiKeyDef((d) => (d.docs = 'javascript:alert(1)')), 'field docs', 'must be an https URL');
  });

  it('refuses an undeclared placeholder in an injected header or query value', () => {
    expectRefused(apiKeyDef((d) => (d.api.inject.headers.Authorization = 'Bearer {apikey}')), 'field api.inject.headers.Authorization', 'uses {apikey}', 'known here: region, api_key');
    expectRefused(apiKeyDef((d) => (d.api.inject.query = { key: '{access_token}' })), 'field api.inject.query.key', 'uses {access_token}');
  });

  it('refuses mode oauth2 or oauth2_client_credentials without auth.oauth', () => {
    expectRefused(oauthDef((d) => delete d.auth.oauth), 'field auth.oauth', 'is required for auth mode oauth2');
    expectRefused(
      oauthDef((d) => {
        d.auth.mode = 'oauth2_client_credentials';
        delete d.auth.oauth;
      }),
      'field auth.oauth',
      'is required for auth mode oauth2_client_credentials',
    );
  });

  it('refuses oauth2 without an authorizationUrl, but not the client credentials grant', () => {
    expectRefused(oauthDef((d) => delete d.auth.oauth.authorizationUrl), 'field auth.oauth.authorizationUrl', 'is required for the authorization code flow');
    const cc = readProviderFile(
      writeJson(
        'cc.json',
        oauthDef((d) => {
          d.auth.mode = 'oauth2_client_credentials';
          delete d.auth.oauth.authorizationUrl;
        }),
      ),
    );
    expect(cc.auth.oauth!.authorizationUrl).toBeUndefined();
  });

  it('refuses oauth settings on a non-OAuth mode and credential fields on an OAuth mode', () => {
    expectRefused(apiKeyDef((d) => (d.auth.oauth = { tokenUrl: 'https://a.example/t' })), 'field auth.oauth', 'is only for OAuth modes, not api_key');
    expectRefused(oauthDef((d) => (d.auth.fields = [{ name: 'x', label: 'X' }])), 'field auth.fields', 'must be empty for OAuth modes');
  });

  it('refuses api_key (and custom) mode with no credential fields', () => {
    expectRefused(apiKeyDef((d) => (d.auth.fields = [])), 'field auth.fields', 'must declare at least one credential field for auth mode api_key');
    expectRefused(
      apiKeyDef((d) => {
        d.auth.mode = 'custom';
        delete d.auth.fields;
        d.api.inject.headers.Authorization = 'x';
      }),
      'field auth.fields',
      'for auth mode custom',
    );
  });

  it('refuses basic mode without both username and password fields', () => {
    const basic = (fields: Data[]) =>
      apiKeyDef((d) => {
        d.auth = { mode: 'basic', fields };
        d.api.inject.headers = { Authorization: 'Basic {basic_auth}' };
      });
    expectRefused(basic([{ name: 'username', label: 'User' }]), 'field auth.fields', 'must include username and password for basic auth');
    expectRefused(basic([{ name: 'user', label: 'User' }, { name: 'password', label: 'Password' }]), 'field auth.fields', 'must include username and password');
    expect(readProviderFile(writeJson('ok.json', basic([{ name: 'username', label: 'User' }, { name: 'password', label: 'Password' }]))).auth.mode).toBe('basic');
  });

  it.each(['ftp://acme.example', 'https://acme.example/a b', '//acme.example', 'http://', 'javascript:alert(1)', 'https://'])('refuses %s as a base URL (an http(s) URL only)', (url) => {
    expectRefused(apiKeyDef((d) => (d.api.baseUrl = url)), 'field api.baseUrl', 'must be an https URL (http only for hosts in COFFER_OUTBOUND_ALLOW)');
  });

  it('refuses an OAuth URL that is not an http(s) URL', () => {
    expectRefused(oauthDef((d) => (d.auth.oauth.tokenUrl = 'ftp://auth.acme.example/token')), 'field auth.oauth.tokenUrl', 'must be an https URL');
    expectRefused(oauthDef((d) => (d.auth.oauth.authorizationUrl = 'auth.acme.example/authorize')), 'field auth.oauth.authorizationUrl', 'must be an https URL');
  });

  describe('plain http: accepted in a definition, sent only to hosts the operator allowlisted', () => {
    // The rule moved from the schema ("http only for loopback") to the outbound layer: plain
    // http reaches only hosts in COFFER_OUTBOUND_ALLOW, and nothing with user:password.
    let none: Outbound;
    let loopback: Outbound;
    beforeAll(() => {
      none = createOutbound();
      loopback = createOutbound({ allow: ['127.0.0.1'] });
    });
    afterAll(async () => {
      await none.close();
      await loopback.close();
    });

    it.each([
      ['http://api.acme.example', 'OUTBOUND_BLOCKED'],
      ['http://{region}.acme.example', 'OUTBOUND_BLOCKED'],
      ['http://localhost.evil.example/', 'OUTBOUND_BLOCKED'],
      ['http://127.0.0.1.evil.example', 'OUTBOUND_BLOCKED'],
      ['http://127.0.0.1@evil.example/', 'INVALID_ARGUMENT'],
    ] as const)('%s loads, but is never sent over plain http (%s), even with loopback allowlisted', (url, code) => {
      const def = readProviderFile(writeJson('http.json', apiKeyDef((d) => (d.api.baseUrl = url))));
      const filled = fillTemplate(def.api.baseUrl, { region: 'eu' }, true);
      for (const outbound of [none, loopback]) {
        expect(outbound.allowsHttp(filled)).toBe(false);
        expectCode(() => outbound.check(filled), code);
      }
    });

    it.each(['http://[::1].evil.example', 'https://exa mple.com', 'https://[zz]/x', 'https://{host'])('a URL that cannot parse is refused at load: %s', (url) => {
      expect(() => readProviderFile(writeJson('unparsable.json', apiKeyDef((d) => (d.api.baseUrl = url))))).toThrow(/api\.baseUrl/);
    });

    it('plain http OAuth URLs load, and are refused unless allowlisted', () => {
      const def = readProviderFile(writeJson('http-oauth.json', oauthDef((d) => (d.auth.oauth.tokenUrl = 'http://auth.acme.example/token'))));
      expect(def.auth.oauth!.tokenUrl).toBe('http://auth.acme.example/token');
      expect(none.allowsHttp(def.auth.oauth!.tokenUrl)).toBe(false);
      expectCode(() => none.check(def.auth.oauth!.tokenUrl), 'OUTBOUND_BLOCKED');
      expectCode(() => loopback.check(def.auth.oauth!.tokenUrl), 'OUTBOUND_BLOCKED');
    });

    it('a loopback stand-in is reached over http only when its address is allowlisted', () => {
      const def = readProviderFile(writeJson('loopback.json', apiKeyDef((d) => (d.api.baseUrl = 'http://127.0.0.1:8080/api'))));
      expect(none.allowsHttp(def.api.baseUrl)).toBe(false);
      expectCode(() => none.check(def.api.baseUrl), 'OUTBOUND_BLOCKED');
      expect(loopback.allowsHttp(def.api.baseUrl)).toBe(true);
      expect(loopback.check(def.api.baseUrl).host).toBe('127.0.0.1:8080');
      // localhost is a name, not the listed address.
      expect(loopback.allowsHttp('http://localhost:8080/api')).toBe(false);
    });
  });

  it.each(['http://127.0.0.1', 'http://127.0.0.1:8080/api', 'http://localhost', 'http://localhost:3000/v1/{region}', 'http://[::1]:9000/'])(
    'accepts the loopback URL %s (tests and local stand-ins)',
    (url) => {
      expect(readProviderFile(writeJson('ok.json', apiKeyDef((d) => (d.api.baseUrl = url)))).api.baseUrl).toBe(url);
    },
  );

  it('refuses a name declared both as a credential field and a config field', () => {
    expectRefused(
      apiKeyDef((d) => d.config.push({ name: 'api_key', label: 'Again' })),
      'field config.1.name',
      'declares "api_key" twice (credential and config fields share one namespace)',
    );
    expectRefused(
      apiKeyDef((d) => d.auth.fields.push({ name: 'api_key', label: 'Again' })),
      'field auth.fields.1.name',
      'declares "api_key" twice',
    );
  });

  it('refuses inject with neither headers nor query', () => {
    const message = 'must put the credential on requests through at least one header or query parameter';
    expectRefused(apiKeyDef((d) => (d.api.inject = {})), 'field api.inject', message);
    expectRefused(apiKeyDef((d) => (d.api.inject = { headers: {}, query: {} })), 'field api.inject', message);
    // Query alone is enough.
    expect(readProviderFile(writeJson('ok.json', apiKeyDef((d) => (d.api.inject = { query: { key: '{api_key}' } })))).api.inject.headers).toEqual({});
  });

  it('refuses invalid JSON', () => {
    const file = writeText('broken.json', '{ "id": "acme", ');
    expectInvalid(() => readProviderFile(file), `Provider definition ${file}:`, 'is not valid JSON (');
    // JSON is JSON only: YAML in a .json file is refused.
    const yamlInJson = writeText('yaml.json', stringifyYaml(apiKeyDef()));
    expectInvalid(() => readProviderFile(yamlInJson), yamlInJson, 'is not valid JSON');
  });

  it.each([
    ['a.yaml', 'id: [unclosed\n'],
    ['b.yml', 'id: acme\n  name: bad indent\n: x\n'],
    ['c.yaml', 'id: acme\n---\nid: second-document\n'],
    ['d.yaml', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n'],
  ])('refuses invalid YAML (%s)', (name, text) => {
    const file = writeText(name, text);
    const err = expectInvalid(() => readProviderFile(file), `Provider definition ${file}:`, 'is not valid YAML (');
    expect(err.message).not.toContain('\n');
  });

  it('refuses YAML or JSON that is not an object', () => {
    expectInvalid(() => readProviderFile(writeText('empty.yaml', '')), 'field (top level)');
    expectInvalid(() => readProviderFile(writeText('list.yaml', '- id: acme\n')), 'field (top level)');
    expectInvalid(() => readProviderFile(writeText('null.json', 'null')), 'field (top level)');
  });

  it('refuses a file over 256 KiB, and reads one of exactly 256 KiB', () => {
    const limit = 256 * 1024;
    const json = JSON.stringify(apiKeyDef());
    const exact = writeText('exact.json', json + ' '.repeat(limit - Buffer.byteLength(json)));
    expect(readProviderFile(exact).id).toBe('acme');
    const big = writeText('big.json', json + ' '.repeat(limit + 1 - Buffer.byteLength(json)));
    expectInvalid(() => readProviderFile(big), `Provider definition ${big}:`, 'is larger than 256 KiB');
  });

  it('refuses a file that cannot be read, naming the reason code', () => {
    const missing = join(dir, 'missing.json');
    expectInvalid(() => readProviderFile(missing), missing, 'cannot be read (ENOENT)');
    mkdirSync(join(dir, 'folder.json'));
    expectInvalid(() => loadProviderCatalog({ dir }), join(dir, 'folder.json'), 'cannot be read (EISDIR)');
  });
});

describe('ProviderCatalog', () => {
  const entry = (id: string, source: 'builtin' | 'custom' = 'custom'): CatalogEntry => ({
    definition: { ...(apiKeyDef() as ProviderDefinition), id },
    source,
    file: `/defs/${id}.json`,
  });

  it('get on an unknown id throws PROVIDER_NOT_FOUND', () => {
    const catalog = loadProviderCatalog();
    const err = expectCode(() => catalog.get('no-such-provider'), 'PROVIDER_NOT_FOUND');
    expect(err.message).toContain('no-such-provider');
    expect(catalog.has('no-such-provider')).toBe(false);
    // Inherited object properties are not providers.
    expectCode(() => catalog.get('constructor'), 'PROVIDER_NOT_FOUND');
    expectCode(() => catalog.get('__proto__'), 'PROVIDER_NOT_FOUND');
    expectCode(() => catalog.get(undefined as unknown as string), 'PROVIDER_NOT_FOUND');
    // A long id is not echoed whole.
    const long = 'x'.repeat(500);
    expect(expectCode(() => catalog.get(long), 'PROVIDER_NOT_FOUND').message).not.toContain(long);
  });

  it('list() is sorted by id', () => {
    const ids = ['zeta', 'a-b', 'ab', 'a0', 'a', 'm-1', 'm1', '0-start', 'a--b', 'b'];
    const catalog = new ProviderCatalog(ids.map((id) => entry(id)));
    expect(catalog.list().map((e) => e.definition.id)).toEqual([...ids].sort());

    const builtin = loadProviderCatalog().list().map((e) => e.definition.id);
    expect(builtin).toEqual([...builtin].sort());

    writeJson('z.json', apiKeyDef((d) => (d.id = 'aaa-first')));
    writeJson('a.json', apiKeyDef((d) => (d.id = 'zzz-last')));
    const mixed = loadProviderCatalog({ dir }).list().map((e) => e.definition.id);
    expect(mixed[0]).toBe('aaa-first');
    expect(mixed.at(-1)).toBe('zzz-last');
    expect(mixed).toEqual([...mixed].sort());
  });

  it('keeps the later of two entries with one id', () => {
    const catalog = new ProviderCatalog([entry('dup', 'builtin'), entry('dup', 'custom')]);
    expect(catalog.list()).toHaveLength(1);
    expect(catalog.list()[0]!.source).toBe('custom');
  });
});

describe('fillTemplate', () => {
  it('fills placeholders, and URL-encodes values only when asked', () => {
    const values = { shop: 'example-store.myshopify.com', id: 'a b/c' };
    expect(fillTemplate('https://{shop}/items/{id}', values, true)).toBe('https://example-store.myshopify.com/items/a%20b%2Fc');
    expect(fillTemplate('Bearer {id}', values, false)).toBe('Bearer a b/c');
    expect(fillTemplate('no placeholders', {}, true)).toBe('no placeholders');
  });

  it('keeps an encoded value from changing the path or fragment of a URL', () => {
    const url = new URL(fillTemplate('https://api.acme.example/v1/{id}/items?x=1', { id: '../../admin?y=2#frag' }, true));
    expect(url.host).toBe('api.acme.example');
    expect(url.pathname).toBe('/v1/..%2F..%2Fadmin%3Fy%3D2%23frag/items');
    expect(url.search).toBe('?x=1');
    expect(url.hash).toBe('');

    const host = fillTemplate('https://{shop}/admin', { shop: 'evil.example/x#y' }, true);
    expect(host).toBe('https://evil.example%2Fx%23y/admin');
    // Unencoded, the same value would have moved the path and added a fragment.
    const raw = new URL(fillTemplate('https://{shop}/admin', { shop: 'evil.example/x#y' }, false));
    expect(raw.hash).toBe('#y/admin');
  });

  it('substitutes once: values are not templates or replacement patterns', () => {
    expect(fillTemplate('{a}-{b}', { a: '{b}', b: "$& $1 $` $'" }, false)).toBe("{b}-$& $1 $` $'");
  });

  it('reports a missing placeholder by name only, never the other values', () => {
    const secret = 'sk_live_do_not_print';
    const err = thrown(() => fillTemplate('https://{host}/{path}?k={key}', { host: 'a.example', key: secret }, true));
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('missing value for {path}');
    expect((err as Error).message).not.toContain(secret);
    expect((err as Error).message).not.toContain('a.example');
    expect(() => fillTemplate('{x}', { x: undefined }, false)).toThrow('missing value for {x}');
    expect(fillTemplate('[{x}]', { x: '' }, true)).toBe('[]');
  });

  it('lists placeholders in order', () => {
    expect(placeholders('https://{a}.x/{b_2}/{a}?{not-one}{ }')).toEqual(['a', 'b_2', 'a']);
  });
});

describe('property: readProviderFile on arbitrary data', () => {
  /** Returns normally (a definition) or throws PROVIDER_INVALID; anything else fails the property. */
  function definitionOrInvalid(file: string): boolean {
    let def: ProviderDefinition;
    try {
      def = readProviderFile(file);
    } catch (err) {
      if (err instanceof CofferError && err.code === 'PROVIDER_INVALID' && err.message.startsWith(`Provider definition ${file}: `)) return true;
      throw err;
    }
    expect(typeof def.id).toBe('string');
    return true;
  }

  it('returns a definition or throws PROVIDER_INVALID for any JSON value', () => {
    const file = join(dir, 'arbitrary.json');
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        writeFileSync(file, JSON.stringify(value));
        return definitionOrInvalid(file);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('returns a definition or throws PROVIDER_INVALID for valid definitions with one part replaced', () => {
    // Closer to real mistakes: a valid definition with one value, at any depth, swapped for arbitrary JSON.
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
    };
    walk(apiKeyDef(), []);
    walk(oauthDef(), []);
    const file = join(dir, 'mutated.json');
    let accepted = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.jsonValue({ maxDepth: 3 }), (useOauth, index, replacement) => {
        const def = useOauth ? oauthDef() : apiKeyDef();
        const own = paths.filter((p) => {
          let cur: Data = def;
          for (const k of p) {
            if (cur === null || typeof cur !== 'object' || !(k in cur)) return false;
            cur = cur[k];
          }
          return p.length > 0;
        });
        const path = own[index % own.length]!;
        let parent: Data = def;
        for (const k of path.slice(0, -1)) parent = parent[k];
        parent[path.at(-1)!] = replacement;
        writeFileSync(file, JSON.stringify(def));
        try {
          readProviderFile(file);
          accepted++;
        } catch (err) {
          if (err instanceof CofferError && err.code === 'PROVIDER_INVALID') return true;
          throw err;
        }
        return true;
      }),
      { seed: 42, numRuns: 200 },
    );
    // Some mutations (a description, a label) are still valid definitions.
    expect(accepted).toBeGreaterThan(0);
  });

  it('returns a definition or throws PROVIDER_INVALID for arbitrary YAML text', () => {
    const file = join(dir, 'arbitrary.yaml');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map((v) => stringifyYaml(v))), (text) => {
        writeFileSync(file, text);
        return definitionOrInvalid(file);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
