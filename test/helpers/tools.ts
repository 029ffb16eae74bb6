// Whether a program the tests need is installed (the Debian packages .ci/run installs).
import { accessSync, constants } from "node:fs";
import path from "node:path";

export function onPath(tool: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      accessSync(path.join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
