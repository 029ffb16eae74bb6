// Deterministic content for volumes that imprint provisions itself: an operating-system
// "image" (the same bytes for every server of one OS, as a real image would be) and
// realistic demo data. Content comes in 1 MiB regions of four kinds, the mix real disks
// hold: text (logs, configuration), structured binary (tables, indexes), random
// (compressed archives, media) and zeros (never written, so they stay holes).
import { createCipheriv, createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";

export const REGION_BYTES = 1024 * 1024;

export type RegionKind = "text" | "binary" | "random" | "zero";

/** A small seeded generator (mulberry32); Math.random is not reproducible. */
export function seededRandom(seed: string): () => number {
  let state = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "kernel systemd network interface started stopped service daemon package install update " +
  "config user session login accepted connection closed request response cache worker " +
  "thread queue disk volume mount filesystem checkpoint backup index table record"
).split(" ");

function textRegion(seed: string): Buffer {
  const random = seededRandom(seed);
  const lines: string[] = [];
  let size = 0;
  let clock = Math.floor(random() * 1e6);
  while (size < REGION_BYTES) {
    clock += Math.floor(random() * 5000);
    const words = Array.from({ length: 4 + Math.floor(random() * 8) }, () => WORDS[Math.floor(random() * WORDS.length)]);
    const line = `2026-11-${String(1 + (clock % 28)).padStart(2, "0")}T${String(clock % 86400).padStart(5, "0")} host[${clock % 32768}]: ${words.join(" ")}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join("")).subarray(0, REGION_BYTES);
}

function binaryRegion(seed: string): Buffer {
  const random = seededRandom(seed);
  const region = Buffer.alloc(REGION_BYTES);
  const base = Math.floor(random() * 1e9);
  for (let offset = 0; offset < REGION_BYTES; offset += 64) {
    region.writeUInt32LE((base + offset / 64) >>> 0, offset);
    region.writeUInt32LE(0xfeedbeef, offset + 4);
    region.writeDoubleLE(Math.floor(random() * 1000) / 10, offset + 8);
    region.writeUInt16LE(Math.floor(random() * 16), offset + 16);
  }
  return region;
}

function randomRegion(seed: string): Buffer {
  const key = createHash("sha256").update(`key:${seed}`).digest().subarray(0, 16);
  const iv = createHash("sha256").update(`iv:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, iv);
  return cipher.update(Buffer.alloc(REGION_BYTES));
}

export function regionContent(kind: RegionKind, seed: string): Buffer | null {
  switch (kind) {
    case "text":
      return textRegion(seed);
    case "binary":
      return binaryRegion(seed);
    case "random":
      return randomRegion(seed);
    case "zero":
      return null;
  }
}

/** A quarter of each kind, in a seeded order. */
export function pickRegionKind(random: () => number): RegionKind {
  return (["text", "binary", "random", "zero"] as const)[Math.floor(random() * 4)];
}

/**
 * Writes `length` bytes of seeded content at `offset` (both multiples of REGION_BYTES),
 * reporting each region's bytes to onProgress. Zero regions are skipped, leaving holes.
 */
export async function writeSyntheticContent(
  file: FileHandle,
  options: { offset: number; length: number; seed: string; signal?: AbortSignal; onProgress?: (bytes: number) => void },
): Promise<void> {
  const random = seededRandom(options.seed);
  for (let done = 0; done < options.length; done += REGION_BYTES) {
    options.signal?.throwIfAborted();
    const size = Math.min(REGION_BYTES, options.length - done);
    const content = regionContent(pickRegionKind(random), `${options.seed}:${done}`);
    if (content) await file.write(content, 0, size, options.offset + done);
    options.onProgress?.(size);
  }
}

/** A region with one host's own identity (hostname, ids), like /etc on a real disk. */
export function hostIdentityRegion(facts: Record<string, string>): Buffer {
  const text = Object.entries(facts)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");
  const region = Buffer.alloc(REGION_BYTES);
  region.write(text);
  return region;
}
