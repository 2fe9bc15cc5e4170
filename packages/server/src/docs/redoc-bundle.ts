/**
 * Redoc's self-contained browser bundle (npm `redoc`, bundles/redoc.standalone.js), read from
 * the installed package once per process and kept in memory. Only this one file is served:
 * no request path ever reaches the filesystem.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The bundle ends with `//# sourceMappingURL=redoc.standalone.js.map`. Developer tools would
 * fetch that 3.9 MB map (a 404 in the console, as it is not served); readers of the reference
 * have no use for it, so the comment is dropped instead.
 */
const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=redoc\.standalone\.js\.map\s*$/;

/**
 * The side menu's "API docs by Redocly" link shows Redocly's logo from their CDN, whatever the
 * options say. The policy blocks it (a violation in every reader's console) and Coffer promises
 * no request to another origin, so the URL becomes a blank image of the same size.
 */
const REDOCLY_LOGO_URL = '"https://cdn.redoc.ly/redoc/logo-mini.svg"';
const BLANK_IMAGE_URL = `"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E"`;

let bundle: Buffer | undefined;

/** The bundle's bytes, read on the first call. Throws if the redoc package is not installed. */
export function redocStandaloneBundle(): Buffer {
  if (!bundle) {
    const source = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'utf8');
    bundle = Buffer.from(source.replace(SOURCE_MAP_COMMENT, '\n').replaceAll(REDOCLY_LOGO_URL, BLANK_IMAGE_URL), 'utf8');
  }
  return bundle;
}
