/**
 * Redocly's `recommended` ruleset over a served OpenAPI document, through its programmatic API
 * (what `redocly lint` runs), so the suite sees what a consumer's CI would see. No rule is
 * turned off here: a rule that does not fit Coffer is for the lead to discuss, not to silence.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';

export interface LintFinding {
  severity: 'error' | 'warn';
  ruleId: string;
  /** JSON pointer of the first location, e.g. `#/paths/~1v1~1tenants/get/operationId`. */
  pointer: string;
  message: string;
}

export async function lintOpenApi(doc: object): Promise<LintFinding[]> {
  const config = await createConfig({ extends: ['recommended'] });
  // The document has no external $refs; the path only names it in the findings.
  const problems = await lintFromString({ source: JSON.stringify(doc, null, 2), absoluteRef: join(tmpdir(), 'coffer-openapi.json'), config });
  return problems
    .filter((p) => !p.ignored)
    .map((p) => ({ severity: p.severity, ruleId: p.ruleId, pointer: p.location[0]?.pointer ?? '', message: p.message }));
}

/** One line per finding, `severity ruleId pointer: message`, for failure messages and the log. */
export function describeFindings(findings: readonly LintFinding[]): string {
  return findings.map((f) => `${f.severity} ${f.ruleId} ${f.pointer}: ${f.message}`).join('\n');
}

/** How many findings each rule produced, e.g. `{ 'operation-operationId': 37 }`. */
export function countByRule(findings: readonly LintFinding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.ruleId] = (counts[f.ruleId] ?? 0) + 1;
  return counts;
}
