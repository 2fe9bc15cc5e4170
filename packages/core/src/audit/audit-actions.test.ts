import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, isAuditAction } from './audit-actions.js';

describe('audit actions', () => {
  it('are unique dotted lower-case names', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    for (const a of AUDIT_ACTIONS) expect(a).toMatch(/^[a-z_]+(\.[a-z_]+)+$/);
  });

  it('tells a known action from caller text', () => {
    expect(isAuditAction('secret.reveal')).toBe(true);
    expect(isAuditAction('secret.revea')).toBe(false);
    expect(isAuditAction('constructor')).toBe(false);
    expect(isAuditAction('')).toBe(false);
  });
});
