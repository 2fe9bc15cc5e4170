/** Core values as the API sends them: dates become ISO strings, with the type saying so. */
import type { CatalogEntry } from '@coffer/core';

/** `T` with every Date turned into its ISO string, recursively. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** Dates to ISO strings, recursively, for JSON answers. */
export function toJson<T>(value: T): Wire<T> {
  if (value instanceof Date) return value.toISOString() as Wire<T>;
  if (Array.isArray(value)) return value.map(toJson) as Wire<T>;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)])) as Wire<T>;
  }
  return value as Wire<T>;
}

/** A catalog entry as the API shows it: the definition and where it came from (not the file path). */
export function providerJson(entry: CatalogEntry) {
  return { ...entry.definition, source: entry.source };
}
