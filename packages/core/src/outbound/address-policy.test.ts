import { describe, expect, it } from 'vitest';
import { configFromEnv, resolveConfig } from '../config/config.js';
import { CofferError } from '../errors.js';
import { classifyAddress, OutboundPolicy, parseAllowEntry, type AddressRange } from './address-policy.js';

describe('classifyAddress', () => {
  const table: Array<[string, AddressRange]> = [
    // global unicast, including the neighbours of refused ranges
    ['8.8.8.8', 'global'],
    ['1.1.1.1', 'global'],
    ['100.63.255.255', 'global'],
    ['100.128.0.0', 'global'],
    ['172.15.255.255', 'global'],
    ['172.32.0.0', 'global'],
    ['192.0.3.1', 'global'],
    ['198.17.255.255', 'global'],
    ['198.20.0.0', 'global'],
    ['223.255.255.255', 'global'],
    ['2606:4700:4700::1111', 'global'],
    ['2a00:1450:4001::200e', 'global'],
    ['2001:4860:4860::8888', 'global'],
    ['::ffff:8.8.8.8', 'global'],
    ['[2606:4700:4700::1111]', 'global'],
    // this network, loopback, unspecified
    ['0.0.0.0', 'this-network'],
    ['0.1.2.3', 'this-network'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    // private, CGNAT, link-local, metadata
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared-address-space'],
    ['100.127.255.255', 'shared-address-space'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['169.254.169.254', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['168.63.129.16', 'cloud-metadata'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fec0::1', 'site-local'],
    // IPv4-mapped: classified by the IPv4 address inside, in every spelling
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'cloud-metadata'],
    ['::ffff:a9fe:a9fe', 'cloud-metadata'],
    ['::ffff:0.0.0.0', 'this-network'],
    // translation and tunnelling prefixes, which can reach any IPv4 address
    ['64:ff9b::7f00:1', 'nat64'],
    ['64:ff9b::8.8.8.8', 'nat64'],
    ['64:ff9b:1::1', 'nat64'],
    ['2002:7f00:1::1', '6to4'],
    ['2002::1', '6to4'],
    ['2001::1', 'teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['::127.0.0.1', 'ipv4-compatible'],
    ['::7f00:1', 'ipv4-compatible'],
    ['192.88.99.1', '6to4-relay'],
    // multicast, broadcast, documentation, benchmarking, reserved
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['250.1.2.3', 'reserved'],
    ['192.0.0.1', 'ietf-protocol-assignments'],
    ['192.0.0.192', 'ietf-protocol-assignments'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'ietf-protocol-assignments'],
    ['100::1', 'discard-only'],
    // outside 2000::/3 and not named above
    ['4000::1', 'not-global-unicast'],
    ['not-an-address', 'not-global-unicast'],
    ['', 'not-global-unicast'],
  ];
  it.each(table)('%s is %s', (address, range) => {
    expect(classifyAddress(address)).toBe(range);
  });
});

describe('parseAllowEntry', () => {
  it.each([
    ['10.0.0.0/8', { kind: 'cidr', address: '10.0.0.0', prefix: 8, family: 4 }],
    ['fd00::/8', { kind: 'cidr', address: 'fd00::', prefix: 8, family: 6 }],
    ['[::1]/128', { kind: 'cidr', address: '::1', prefix: 128, family: 6 }],
    ['127.0.0.1', { kind: 'cidr', address: '127.0.0.1', prefix: 32, family: 4 }],
    ['::1', { kind: 'cidr', address: '::1', prefix: 128, family: 6 }],
    ['[::1]', { kind: 'cidr', address: '::1', prefix: 128, family: 6 }],
    ['localhost', { kind: 'name', name: 'localhost' }],
    [' ERP.Corp.Example. ', { kind: 'name', name: 'erp.corp.example' }],
    ['_svc.corp-1.example', { kind: 'name', name: '_svc.corp-1.example' }],
  ])('accepts %j', (entry, parsed) => {
    expect(parseAllowEntry(entry)).toEqual(parsed);
  });
  it.each(['', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', 'http://erp.example', 'erp.example:8080', '*.example.com', '-bad.example', 'a..b', '127.1', '1.2.3.4.5', 'fe80::1%eth0', 'a'.repeat(64) + '.example'])(
    'refuses %j',
    (entry) => {
      expect(parseAllowEntry(entry)).toBeUndefined();
    },
  );
});

describe('OutboundPolicy', () => {
  it('refuses every non-global address without an allowlist', () => {
    const policy = new OutboundPolicy();
    expect(policy.refusal('api.example.com', '8.8.8.8')).toBeNull();
    expect(policy.refusal('api.example.com', '127.0.0.1')).toBe('loopback');
    expect(policy.refusal('api.example.com', '::ffff:127.0.0.1')).toBe('loopback');
    expect(policy.refusal('api.example.com', undefined)).toBe('not-global-unicast');
    expect(policy.hostListed('127.0.0.1')).toBe(false);
    expect(policy.hostListed('localhost')).toBe(false);
  });

  it('lets a listed name reach any address, and a listed range be reached by any name', () => {
    const policy = new OutboundPolicy(['erp.corp.example', '10.0.0.0/8', '::1']);
    expect(policy.refusal('ERP.corp.example.', '192.168.1.1')).toBeNull();
    expect(policy.refusal('other.example', '10.9.9.9')).toBeNull();
    expect(policy.refusal('other.example', '::ffff:10.9.9.9')).toBeNull();
    expect(policy.refusal('other.example', '::1')).toBeNull();
    expect(policy.refusal('other.example', '127.0.0.1')).toBe('loopback');
    expect(policy.refusal('other.example', '169.254.169.254')).toBe('cloud-metadata');
  });

  it('counts a host as allowlisted (for plain http) only by its listed name or as an IP literal in a listed range', () => {
    const policy = new OutboundPolicy(['erp.corp.example', '10.0.0.0/8', '::1']);
    expect(policy.hostListed('erp.corp.example')).toBe(true);
    expect(policy.hostListed('10.1.2.3')).toBe(true);
    expect(policy.hostListed('[::1]')).toBe(true);
    expect(policy.hostListed('sub.erp.corp.example')).toBe(false);
    expect(policy.hostListed('resolves-into-10.example')).toBe(false);
    expect(policy.hostListed('127.0.0.1')).toBe(false);
  });

  it('refuses a malformed entry with CONFIG_INVALID naming the variable', () => {
    expect(() => new OutboundPolicy(['10.0.0.0/8', 'http://x'])).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('COFFER_OUTBOUND_ALLOW') }));
  });
});

describe('COFFER_OUTBOUND_ALLOW configuration', () => {
  it('is empty by default and frozen', () => {
    const config = resolveConfig({ dataDir: '/tmp/coffer-outbound-test' });
    expect(config.outboundAllow).toEqual([]);
    expect(Object.isFrozen(config.outboundAllow)).toBe(true);
  });

  it('reads a comma-separated list, trimmed', () => {
    const config = configFromEnv({ COFFER_OUTBOUND_ALLOW: ' 127.0.0.1 , 10.0.0.0/8,,erp.corp.example, fd00::/8 ' });
    expect(config.outboundAllow).toEqual(['127.0.0.1', '10.0.0.0/8', 'erp.corp.example', 'fd00::/8']);
  });

  it('refuses a bad entry with CONFIG_INVALID naming the variable and the entry', () => {
    let err: unknown;
    try {
      configFromEnv({ COFFER_OUTBOUND_ALLOW: '127.0.0.1,erp.example:8080' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CofferError);
    expect((err as CofferError).code).toBe('CONFIG_INVALID');
    expect((err as CofferError).message).toMatch(/^COFFER_OUTBOUND_ALLOW: "erp\.example:8080" is not a CIDR/);
  });

  it('validates the programmatic option too', () => {
    expect(() => resolveConfig({ outboundAllow: ['10.0.0.0/99'] })).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('outboundAllow') }));
    expect(resolveConfig({ outboundAllow: [' localhost '] }).outboundAllow).toEqual(['localhost']);
  });
});
