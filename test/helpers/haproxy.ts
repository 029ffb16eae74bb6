// Debian's HAProxy with the repository's configuration (deploy/haproxy.cfg) in front of two
// imprint instances, for the two-instance test and the instances benchmark.
import { spawn, type ChildProcess } from "node:child_process";

/** HAProxy on 127.0.0.1:`port`, its two `server` lines naming the instances at these URLs (the same one twice: one instance). */
export function startHaproxy(port: number, instanceA: string, instanceB: string): ChildProcess {
  return spawn("haproxy", ["-db", "-f", "deploy/haproxy.cfg"], {
    env: { ...process.env, LISTEN: `127.0.0.1:${port}`, INSTANCE_A: new URL(instanceA).host, INSTANCE_B: new URL(instanceB).host },
    stdio: "ignore",
  });
}
