/**
 * The API reference at /docs (issue 11): Redoc, served by Coffer itself.
 *
 *  - Over HTTP: the page, its init file and Redoc's bundle, each with the exact security
 *    headers, content type and caching; the page runs no inline script and points at its files
 *    relatively; nothing else under /docs is served (Coffer's JSON 404).
 *  - In a real browser (Debian's Chromium through playwright-core, never a downloaded one): the
 *    page renders the OpenAPI document — the reveal operation with its anchor, its scope, its
 *    request and response samples — with no policy violation, no request to another origin, no
 *    failed request and no error status; also behind a path prefix, as a reverse proxy mounts it.
 *
 * Under CI=true a missing /usr/bin/chromium fails this file; elsewhere the browser half is
 * skipped with a loud warning.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBackend, type Backend } from '../../core/test/support/backends.js';
import { expectErrorBody, type TestServer, startTestServer } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; under CI=true that is a failure, not a skip (apt-get install chromium).`);
  console.warn(`\n!!! ${CHROMIUM} is missing: the /docs browser tests in docs-browser.test.ts are SKIPPED. Install Debian's chromium. !!!\n`);
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'";

const REVEAL_PATH = '/v1/tenants/{tenant}/secrets/{name}/reveal';
const REVEAL_SUMMARY = 'Reveal the plaintext of the current or a given version';

const redocBundleFile = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

function expectDocsSecurityHeaders(headers: Record<string, string>, what: string): void {
  expect(headers['content-security-policy'], what).toBe(CSP);
  expect(headers['x-frame-options'], what).toBe('DENY');
  expect(headers['referrer-policy'], what).toBe('no-referrer');
  expect(headers['x-content-type-options'], what).toBe('nosniff');
}

describe('/docs', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let s: TestServer;
  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    s = await startTestServer(backend);
  });
  afterAll(async () => {
    await s?.close();
    await backend?.dispose();
  });

  describe('over HTTP', () => {
    it('serves the page: HTML, no inline script, relative references to its two files', async () => {
      const res = await s.request('GET', '/docs', { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      expectDocsSecurityHeaders(res.headers, '/docs');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toMatch(/^<!doctype html>/i);
      expect(res.text).toContain('<title>Coffer API reference</title>');
      // Every script is a file of this origin, loaded relatively (so a path prefix keeps working).
      const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.map((m) => m[1]!.trim())).toEqual(['defer src="docs/redoc.standalone.js"', 'defer src="docs/init.js"']);
      expect(scripts.every((m) => m[2] === '')).toBe(true);
      expect((res.text.match(/<script/gi) ?? []).length).toBe(2);
      expect(res.text).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
      expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//i); // nothing from another origin
    });

    it('serves the init file: JavaScript, finds /openapi.json relative to itself', async () => {
      const res = await s.request('GET', '/docs/init.js');
      expect(res.status).toBe(200);
      expectDocsSecurityHeaders(res.headers, '/docs/init.js');
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain("new URL('../openapi.json', document.currentScript.src)");
      expect(res.text).toContain('Redoc.init(');
      expect(res.text).not.toMatch(/https?:\/\//);
    });

    it("serves Redoc's bundle from the installed package, cacheable, without its source map comment or the CDN logo", async () => {
      const res = await s.request('GET', '/docs/redoc.standalone.js');
      expect(res.status).toBe(200);
      expectDocsSecurityHeaders(res.headers, '/docs/redoc.standalone.js');
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.headers['cache-control']).toBe('public, max-age=86400');
      const original = readFileSync(redocBundleFile, 'utf8');
      expect(original).toContain('https://cdn.redoc.ly/redoc/logo-mini.svg');
      expect(original).toMatch(/\/\/# sourceMappingURL=redoc\.standalone\.js\.map\s*$/);
      expect(res.text.slice(0, 10_000)).toBe(original.slice(0, 10_000));
      expect(res.text.length).toBeGreaterThan(original.length - 200);
      expect(res.text).not.toContain('cdn.redoc.ly');
      expect(res.text).not.toContain('sourceMappingURL=redoc.standalone.js.map');
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    });

    it('redirects /docs/ to ../docs, relatively, so the page is always at a URL without a trailing slash', async () => {
      const res = await s.request('GET', '/docs/');
      expect(res.status).toBe(301);
      expectDocsSecurityHeaders(res.headers, '/docs/');
      expect(res.headers.location).toBe('../docs');
      expect(new URL(res.headers.location!, `${s.url}/prefix/docs/`).pathname).toBe('/prefix/docs');
    });

    it('answers anything else under /docs with 404 and the JSON error body, never a file', async () => {
      for (const path of ['/docs/whatever', '/docs/redoc.standalone.js.map', '/docs/init.js/x', '/docs/%2e%2e%2fpackage.json', '/docs/..%2F..%2Fpackage.json', '/docs/redoc.standalone.js.LICENSE.txt', '/docs/bundles/redoc.standalone.js']) {
        const res = await s.request('GET', path);
        expectErrorBody(res, 404, 'NOT_FOUND');
        expectDocsSecurityHeaders(res.headers, path);
      }
    });
  });

  describe.skipIf(!haveChromium)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    });
    afterAll(async () => {
      await browser?.close();
    });

    /** Everything a page did that the reference must never do, collected as it happens. */
    interface PageRecord {
      requests: string[];
      failed: string[];
      errorStatuses: string[];
      consoleErrors: string[];
      cspConsole: string[];
      pageErrors: string[];
    }

    interface BrowserGlobals {
      __cspViolations: string[];
      document: { addEventListener(type: 'securitypolicyviolation', listener: (e: { violatedDirective: string; blockedURI: string }) => void): void };
    }

    async function openRecorded(): Promise<{ page: Page; record: PageRecord; violations: () => Promise<string[]> }> {
      const page = await browser.newPage();
      const record: PageRecord = { requests: [], failed: [], errorStatuses: [], consoleErrors: [], cspConsole: [], pageErrors: [] };
      page.on('request', (r) => record.requests.push(r.url()));
      page.on('requestfailed', (r) => record.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
      page.on('response', (r) => {
        if (r.status() >= 400) record.errorStatuses.push(`${r.status()} ${r.url()}`);
      });
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) record.cspConsole.push(m.text());
        if (m.type() === 'error') record.consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => record.pageErrors.push(e.message));
      // Before any script of the page: every violation, even one reported before Redoc starts.
      // (These functions run in the page; the DOM types are spelled out, as the tests compile without lib.dom.)
      await page.addInitScript(() => {
        const found: string[] = [];
        const page = globalThis as unknown as BrowserGlobals;
        page.__cspViolations = found;
        page.document.addEventListener('securitypolicyviolation', (e) => found.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const violations = () => page.evaluate(() => (globalThis as unknown as BrowserGlobals).__cspViolations);
      return { page, record, violations };
    }

    /** The reveal operation as /openapi.json describes it. */
    async function revealOperation(): Promise<{ operationId?: string; summary: string; security?: unknown }> {
      const doc = (await s.request('GET', '/openapi.json')).json;
      const op = doc.paths[REVEAL_PATH]?.post;
      expect(op, `POST ${REVEAL_PATH} is in /openapi.json`).toBeDefined();
      expect(op.summary).toBe(REVEAL_SUMMARY);
      return op;
    }

    /** Redoc's section id for the reveal operation ends so: by operationId when the document has one. */
    async function revealSectionSuffix(): Promise<string> {
      const op = await revealOperation();
      return op.operationId ? `/operation/${op.operationId}` : `/paths/${REVEAL_PATH.replace(/~/g, '~0').replace(/\//g, '~1')}/post`;
    }

    async function expectCleanRun(page: Page, record: PageRecord, violations: () => Promise<string[]>, origin: string): Promise<void> {
      // Late requests (the search worker, images mounted after the first render) included.
      await page.waitForLoadState('networkidle');
      expect(await violations(), 'securitypolicyviolation events').toEqual([]);
      expect(record.cspConsole, 'policy messages in the console').toEqual([]);
      expect(record.consoleErrors, 'console errors').toEqual([]);
      expect(record.pageErrors, 'uncaught page errors').toEqual([]);
      expect(record.failed, 'failed requests').toEqual([]);
      expect(record.errorStatuses, '4xx/5xx responses').toEqual([]);
      const foreign = record.requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith(`blob:${origin}/`));
      expect(foreign, 'requests to another origin').toEqual([]);
    }

    /** Runs `check` on a fresh recorded page, then asserts the run was clean, and closes the page. */
    async function onCleanPage(check: (page: Page, record: PageRecord) => Promise<void>): Promise<void> {
      const { page, record, violations } = await openRecorded();
      try {
        await check(page, record);
        await expectCleanRun(page, record, violations, s.url);
      } finally {
        await page.close();
      }
    }

    it(
      'renders the reveal operation, findable by text and by its anchor, with request and response samples, and nothing blocked, foreign or failed',
      async () => {
        const suffix = await revealSectionSuffix();
        await onCleanPage(async (page) => {
          await page.goto(`${s.url}/docs`);
          const section = page.locator(`[data-section-id$="${suffix}"]`);
          await section.waitFor({ timeout: 30_000 });

          // The anchor: the section's id is its fragment, and the heading links to it.
          const sectionId = (await section.getAttribute('data-section-id'))!;
          expect(sectionId).toMatch(/^tag\//);
          expect(await section.getAttribute('id')).toBe(sectionId);
          await expect(section.locator('h2').innerText()).resolves.toContain(REVEAL_SUMMARY);
          expect(await section.locator(`h2 a[href="#${sectionId}"]`).count()).toBe(1);
          // By text: the summary and the path, on the page.
          expect(await page.getByRole('heading', { name: REVEAL_SUMMARY }).count()).toBe(1);
          const text = await section.innerText();
          expect(text).toContain(REVEAL_PATH);
          // Samples: a request payload and the success response as JSON (their values come from
          // the document's examples, so only the fields are checked), and the success response
          // expanded in the middle column.
          const [, afterRequest = ''] = text.split('Request samples');
          const [requestSample = '', responseSample = ''] = afterRequest.split('Response samples');
          expect(requestSample).toMatch(/"version":/);
          for (const field of ['name', 'type', 'version', 'value']) expect(responseSample).toContain(`"${field}":`);
          expect(text).toMatch(/RESPONSE SCHEMA: application\/json/i);

          // Following the anchor lands on the operation.
          await page.goto(`${s.url}/docs#${sectionId}`);
          await section.waitFor({ timeout: 30_000 });
          await expect(section.locator('h2').isVisible()).resolves.toBe(true);

        });
      },
      60_000,
    );

    it(
      'shows the scope the reveal needs (secrets:reveal) in its authorizations',
      async () => {
        const suffix = await revealSectionSuffix();
        await onCleanPage(async (page) => {
          await page.goto(`${s.url}/docs`);
          const section = page.locator(`[data-section-id$="${suffix}"]`);
          await section.waitFor({ timeout: 30_000 });
          // Redoc lists a scheme's scopes once its "Authorizations" row is opened. (The
          // description's prose also names the scope; only the security requirement counts here.)
          const authorizations = section.locator('h5', { hasText: /^Authorizations:$/i }).locator('xpath=../..');
          await section.getByText('Authorizations:', { exact: true }).click();
          const shown = await authorizations.innerText();
          const required = (await section.getByText('Required scopes:').count()) > 0 ? await section.getByText('Required scopes:').locator('xpath=..').innerText() : '(no "Required scopes:" line)';
          const declared = JSON.stringify((await revealOperation()).security);
          expect(shown, `the reveal's Authorizations list no scope; /openapi.json declares security ${declared}`).toMatch(/bearer\s*\(secrets:reveal\)/);
          expect(required, `/openapi.json declares security ${declared}`).toMatch(/^Required scopes:\s*secrets:reveal\s*$/);
        });
      },
      60_000,
    );

    it(
      'works behind a reverse proxy that mounts Coffer under a path prefix',
      async () => {
        const suffix = await revealSectionSuffix();
        await onCleanPage(async (page, record) => {
          // The stand-in proxy: <origin>/coffer/x is <origin>/x. The page is only told the prefixed URL.
          const prefix = `${s.url}/coffer`;
          await page.route(`${prefix}/**`, async (route) => {
            const response = await route.fetch({ url: s.url + route.request().url().slice(prefix.length) });
            await route.fulfill({ response });
        });
        await page.goto(`${prefix}/docs`);
        await page.locator(`[data-section-id$="${suffix}"]`).waitFor({ timeout: 30_000 });
        const ownRequests = record.requests.filter((u) => u.startsWith('http'));
        expect(ownRequests.sort()).toEqual([`${prefix}/docs`, `${prefix}/docs/init.js`, `${prefix}/docs/redoc.standalone.js`, `${prefix}/openapi.json`].sort());
        });
      },
      60_000,
    );
  });
});
