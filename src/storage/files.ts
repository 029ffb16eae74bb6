import { access } from "node:fs/promises";

/** Whether a file is there (for a cheap presence check; its content is not read). */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
