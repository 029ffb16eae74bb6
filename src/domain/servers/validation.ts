// Field rules shared by every input that names a host or a server shape.
import { findDatacenter, SERVER_LIMITS, type Catalog } from "../kernel/index.ts";
import type { FieldProblems } from "../kernel/index.ts";

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A hostname is one RFC 1123 label: letters, digits and inner hyphens, 1 to 63 characters. */
export function checkHostname(problems: FieldProblems, field: string, value: string): void {
  if (!LABEL.test(value)) {
    problems.add(
      field,
      "must be 1-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit (RFC 1123)",
    );
  }
}

/** A domain is dot-separated RFC 1123 labels with at least two labels and at most 253 characters. */
export function checkDomain(problems: FieldProblems, field: string, value: string): void {
  const labels = value.split(".");
  if (value.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    problems.add(field, "must be a domain name such as example.com: dot-separated RFC 1123 labels, at most 253 characters");
  }
}

export function checkFqdnLength(problems: FieldProblems, field: string, hostname: string, domain: string): void {
  if (hostname.length + 1 + domain.length > 253) problems.add(field, "hostname plus domain must be at most 253 characters");
}

export function checkRange(problems: FieldProblems, field: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    problems.add(field, `must be a whole number from ${range.min} to ${range.max}`);
  }
}

export function checkDatacenter(problems: FieldProblems, field: string, code: string): void {
  if (!findDatacenter(code)) problems.add(field, `unknown datacenter "${code}" (see the datacenters query)`);
}

export function checkOperatingSystem(problems: FieldProblems, field: string, code: string, catalog: Catalog): void {
  if (!catalog.findOperatingSystem(code)) problems.add(field, `unknown operating system "${code}" (see the operatingSystems query)`);
}

const USER_DATA_MAX = 64 * 1024;

export function checkUserData(problems: FieldProblems, field: string, userData: string | null | undefined): void {
  if (Buffer.byteLength(userData ?? "") > USER_DATA_MAX) problems.add(field, `must be at most ${USER_DATA_MAX} bytes`);
}

export function checkCapacity(problems: FieldProblems, field: string, capacityGb: number): void {
  checkRange(problems, field, capacityGb, SERVER_LIMITS.volumeCapacityGb);
}
