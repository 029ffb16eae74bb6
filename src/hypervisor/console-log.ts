// A machine's serial console is a log file; both adapters read it the same way.
import { watch } from "node:fs";
import { open, stat } from "node:fs/promises";

/** How much of the end of a console log is read to find its last lines. */
const TAIL_WINDOW_BYTES = 256 * 1024;

export async function tailLines(file: string, lines: number, upTo = Infinity): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  try {
    const size = Math.min((await handle.stat()).size, upTo);
    const start = Math.max(0, size - TAIL_WINDOW_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = printable(buffer.toString("utf8"));
    const all = text.split("\n");
    if (all.at(-1) === "") all.pop();
    if (start > 0) all.shift(); // the first line may be cut
    return lines <= 0 ? [] : all.slice(-lines);
  } finally {
    await handle.close();
  }
}

/**
 * The last `backlog` lines of `file`, then the lines appended to it (a file not there yet is
 * waited for; its folder must exist). One inotify watch per follower, no timer: the log is
 * only read when it changes.
 */
export async function* followLines(file: string, signal: AbortSignal, backlog = 0): AsyncGenerator<string> {
  let offset = await stat(file).then((s) => s.size, () => 0);
  if (backlog > 0) yield* await tailLines(file, backlog, offset);
  let partial = "";
  let dirty = true;
  let wake: (() => void) | null = null;
  const changed = () => {
    dirty = true;
    wake?.();
    wake = null;
  };
  const dir = file.slice(0, file.lastIndexOf("/"));
  const watcher = watch(dir, { persistent: false }, changed);
  signal.addEventListener("abort", changed, { once: true });
  try {
    while (!signal.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      dirty = false;
      const size = await stat(file).then((s) => s.size, () => 0);
      if (size < offset) offset = 0; // a new boot started the log again
      if (size > offset) {
        const handle = await open(file, "r");
        try {
          const buffer = Buffer.alloc(size - offset);
          await handle.read(buffer, 0, buffer.length, offset);
          offset = size;
          const lines = (partial + printable(buffer.toString("utf8"))).split("\n");
          partial = lines.pop() ?? "";
          for (const line of lines) yield line;
        } finally {
          await handle.close();
        }
      }
    }
  } finally {
    watcher.close();
    signal.removeEventListener("abort", changed);
  }
}

/** Serial output carries carriage returns and terminal control bytes; a line is text. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r/g, "").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}
