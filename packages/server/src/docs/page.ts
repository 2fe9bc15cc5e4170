/**
 * The reference page and the script that starts Redoc on it. The page has no inline script (the
 * policy forbids it); it loads two files from its own folder.
 *
 * URLs are relative so the page works behind a reverse proxy that mounts Coffer under a path
 * prefix. The page is served at `<base>/docs` (no trailing slash), so `docs/x` resolves to
 * `<base>/docs/x`; `<base>/docs/` redirects to `../docs` to keep that true. The init file finds
 * the OpenAPI document relative to its own URL (`<base>/docs/init.js` → `<base>/openapi.json`),
 * which does not depend on the page's URL at all. The empty icon saves the browser a request
 * for /favicon.ico, which would be a 404.
 */

export const BUNDLE_FILE = 'redoc.standalone.js';
export const INIT_FILE = 'init.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderDocsPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} reference</title>
<link rel="icon" href="data:,">
<style>body{margin:0;padding:0}</style>
<script defer src="docs/${BUNDLE_FILE}"></script>
<script defer src="docs/${INIT_FILE}"></script>
</head>
<body>
<noscript><p>This reference is rendered by Redoc and needs JavaScript. The OpenAPI document itself is at <a href="openapi.json">openapi.json</a>.</p></noscript>
<div id="reference"></div>
</body>
</html>
`;
}

/**
 * Redoc's options:
 *  - system fonts, so nothing is fetched for type (Redoc's default theme names Roboto and
 *    Montserrat without loading them; naming what every system has renders as designed);
 *  - the security scheme's type, and the success responses expanded, as a reader wants both;
 *  - sanitize: descriptions are Markdown; any raw HTML in them is cleaned before rendering.
 */
const REDOC_OPTIONS = {
  showSecuritySchemeType: true,
  expandResponses: '200,201,202,204',
  hideDownloadButton: false,
  sanitize: true,
  theme: {
    typography: {
      fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif',
      headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif' },
      code: { fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace' },
    },
  },
};

export const DOCS_INIT_SCRIPT = `// Starts Redoc (loaded just before this file) on Coffer's OpenAPI document.
(function () {
  'use strict';
  var specUrl = new URL('../openapi.json', document.currentScript.src).href;
  var options = ${JSON.stringify(REDOC_OPTIONS)};
  Redoc.init(specUrl, options, document.getElementById('reference'));
})();
`;
