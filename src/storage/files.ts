import { access, type FileHandle } from "node:fs/promises";

/** Whether a file is there (for a cheap presence check; its content is not read). */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Reads `size` bytes at `position` into `buffer`; past the end of the file reads as zeros. */
export async function readFully(file: FileHandle, buffer: Buffer, size: number, position: number): Promise<Buffer> {
  let done = 0;
  while (done < size) {
    const { bytesRead } = await file.read(buffer, done, size - done, position + done);
    if (bytesRead === 0) {
      buffer.fill(0, done, size);
      break;
    }
    done += bytesRead;
  }
  return buffer.subarray(0, size);
}
