/**
 * Response headers of everything under /docs. Redoc is a script that renders in the browser, so
 * unlike the API's JSON it needs a policy that lets it run — but only code from this origin:
 *  - script-src 'self': the bundle and the init file, no inline script, no eval;
 *  - style-src 'unsafe-inline': Redoc's styled-components inject <style> elements at run time;
 *  - img-src data: for Redoc's inline icons; worker-src blob: for its search index, which the
 *    standalone bundle starts from a Blob URL;
 *  - connect-src 'self': it fetches /openapi.json, nothing else;
 *  - no framing (clickjacking), and no referrer leaves the page.
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'";

export const DOCS_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': DOCS_CONTENT_SECURITY_POLICY,
  // For browsers without CSP level 2's frame-ancestors.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
});

/** The page and the init file change with Coffer: revalidate them on every load. */
export const CACHE_REVALIDATE = 'no-cache';

/** The bundle changes only with the redoc package's version; a day bounds the staleness after an upgrade. */
export const CACHE_BUNDLE = 'public, max-age=86400';
