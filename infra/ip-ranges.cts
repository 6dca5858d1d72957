// What a list of caller ranges admits, counted in addresses: the one measure the stack config
// (allowedIpRanges, infra/config.ts) and the policy pack (backend-caller-restricted) judge a venue's
// ranges by. A prefix alone says nothing about a list: 256 "/8"s are all of IPv4. CommonJS (.cts)
// because the policy pack is; the ESM program imports it as ./ip-ranges.cjs. Pure.

import { isIPv6 } from "node:net";
import { MAX_ALLOWED_ADDRESSES } from "./ceilings.cjs";

export interface ParsedRange {
  family: "ipv4" | "ipv6";
  prefix: number;
  /**
   * IPv6 only: the IPv4 addresses it admits through the IPv4-mapped block ::ffff:0:0/96 (RFC 4291
   * 2.5.5.2: an IPv4 node's address as IPv6 sees it), so "::ffff:0:0/96" is all of IPv4, not one /64.
   */
  mappedIpv4?: number;
}

/** An IPv4 or IPv6 address with an optional /prefix (a bare address is /32 or /128); null if unreadable. */
export function parseRange(range: unknown): ParsedRange | null {
  if (typeof range !== "string") return null;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(range);
  if (v4) {
    if (v4.slice(1, 5).some((o) => Number(o) > 255)) return null;
    const prefix = v4[5] === undefined ? 32 : Number(v4[5]);
    return prefix <= 32 ? { family: "ipv4", prefix } : null;
  }
  // Hex digits and colons only (no embedded dotted quad, no zone): node's isIPv6 then reads the
  // grouping, eight groups or fewer with one "::".
  const v6 = /^([0-9a-f:]+)(?:\/(\d{1,3}))?$/i.exec(range);
  if (v6 && range.includes(":") && isIPv6(v6[1]!)) {
    const prefix = v6[2] === undefined ? 128 : Number(v6[2]);
    if (prefix > 128) return null;
    const mapped = mappedIpv4(ipv6Value(v6[1]!), prefix);
    return mapped > 0 ? { family: "ipv6", prefix, mappedIpv4: mapped } : { family: "ipv6", prefix };
  }
  return null;
}

/** An IPv6 address (already checked by isIPv6, hex digits and colons only) as a 128-bit number. */
function ipv6Value(address: string): bigint {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const groups = (h: string | undefined) => (h ? h.split(":") : []);
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill("0"), ...groups(tail)];
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const MAPPED = 0xffffn << 32n; // ::ffff:0:0, the start of the IPv4-mapped /96

/** IPv4 addresses a range admits through ::ffff:0:0/96: the overlap of the two, counted in addresses. */
function mappedIpv4(value: bigint, prefix: number): number {
  const shift = BigInt(128 - Math.min(prefix, 96));
  // Same leading bits (the shorter prefix of the two): one range holds the other.
  if (value >> shift !== MAPPED >> shift) return 0;
  return prefix >= 96 ? 2 ** (128 - prefix) : 2 ** 32;
}

export interface Admitted {
  /** IPv4 addresses the ranges admit, summed (overlaps counted twice: never less than the truth). */
  ipv4: number;
  /** IPv6 /64 subnets, summed (a longer prefix counts as one). */
  ipv6Subnets64: number;
  /** Ranges that are not an address or CIDR range: they admit who knows what. */
  unreadable: string[];
}

/** What a list of ranges admits, summed per family. */
export function admitted(ranges: readonly unknown[]): Admitted {
  const out: Admitted = { ipv4: 0, ipv6Subnets64: 0, unreadable: [] };
  for (const range of ranges) {
    const parsed = parseRange(range);
    if (!parsed) out.unreadable.push(String(range));
    else if (parsed.family === "ipv4") out.ipv4 += 2 ** (32 - parsed.prefix);
    else {
      out.ipv6Subnets64 += 2 ** Math.max(0, 64 - parsed.prefix);
      out.ipv4 += parsed.mappedIpv4 ?? 0;
    }
  }
  return out;
}

/** Whether the ranges admit no more than the named limits (and every one of them can be read). */
export function withinAddressLimit(a: Admitted, limit: typeof MAX_ALLOWED_ADDRESSES = MAX_ALLOWED_ADDRESSES): boolean {
  return a.unreadable.length === 0 && a.ipv4 <= limit.ipv4 && a.ipv6Subnets64 <= limit.ipv6Subnets64;
}

/** "65,536 IPv4 addresses and 1 IPv6 /64": what a list admits, in a message. */
export function describeAdmitted(a: Admitted): string {
  const parts = [];
  if (a.ipv4 > 0 || a.ipv6Subnets64 === 0) parts.push(`${a.ipv4.toLocaleString("en-US")} IPv4 address${a.ipv4 === 1 ? "" : "es"}`);
  if (a.ipv6Subnets64 > 0) parts.push(`${a.ipv6Subnets64.toLocaleString("en-US")} IPv6 /64 subnet${a.ipv6Subnets64 === 1 ? "" : "s"}`);
  return parts.join(" and ");
}

/** The limit in words: "65,536 IPv4 addresses (a /16) and 65,536 IPv6 /64s (a /48)". */
export const LIMIT_WORDS =
  `${MAX_ALLOWED_ADDRESSES.ipv4.toLocaleString("en-US")} IPv4 addresses (a /${32 - Math.log2(MAX_ALLOWED_ADDRESSES.ipv4)}) and ` +
  `${MAX_ALLOWED_ADDRESSES.ipv6Subnets64.toLocaleString("en-US")} IPv6 /64 subnets (a /${64 - Math.log2(MAX_ALLOWED_ADDRESSES.ipv6Subnets64)})`;
