// Config drives in cloud-init's NoCloud seed format: one folder per server under
// <data dir>/config-drives/<serverId>/ with meta-data, network-config and user-data,
// the files a "cidata" volume carries.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export interface ConfigDriveFiles {
  "meta-data": string;
  "network-config": string;
  "user-data"?: string;
}

export class ConfigDrives {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(serverId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(serverId)) throw new Error(`invalid server id ${serverId}`);
    return path.join(this.dir, serverId);
  }

  /** Writes the drive in a temporary folder and swaps it in, so a drive is whole or absent. */
  async write(serverId: string, files: ConfigDriveFiles): Promise<void> {
    const target = this.pathOf(serverId);
    const temporary = `${target}.tmp`;
    await rm(temporary, { recursive: true, force: true });
    await mkdir(temporary, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      if (content !== undefined) await writeFile(path.join(temporary, name), content);
    }
    await rm(target, { recursive: true, force: true });
    await rename(temporary, target);
  }

  async read(serverId: string): Promise<Partial<ConfigDriveFiles> | null> {
    const dir = this.pathOf(serverId);
    const files: Partial<ConfigDriveFiles> = {};
    try {
      for (const name of ["meta-data", "network-config", "user-data"] as const) {
        try {
          files[name] = await readFile(path.join(dir, name), "utf8");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
      }
    } catch {
      return null;
    }
    return files["meta-data"] ? files : null;
  }

  async remove(serverId: string): Promise<void> {
    await rm(this.pathOf(serverId), { recursive: true, force: true });
  }
}
