// The machine port: what runs a server. The domain starts, stops and asks about machines
// through it and never knows which adapter is behind it (simulated.ts, qemu/qemu-hypervisor.ts).
// Shaped after Nova's virt driver: spawn/power_on, power_off with a timeout then force,
// get_info (state), get_console_output.

/** What a machine is started from: the server's record and its files. */
export interface MachineSpec {
  serverId: string;
  /** The server's FQDN, for logs and the process list. */
  name: string;
  cpu: number;
  memoryMb: number;
  macAddress: string | null;
  /** The volume files, in the server's volume order (the first is the boot disk). */
  volumePaths: string[];
  /** The folder holding the NoCloud files (meta-data, network-config, user-data). */
  configDrivePath: string;
}

/** RUNNING: the guest runs. STOPPED: no machine (never started, powered off or crashed). */
export type MachineState = "RUNNING" | "STOPPED";

export interface StopResult {
  /** clean: the guest powered itself off after the ACPI request; forced: it was cut off. */
  how: "clean" | "forced" | "already stopped";
}

export interface Hypervisor {
  readonly kind: "simulated" | "qemu";
  /** Starts the machine; a machine already running is left as it is. */
  start(spec: MachineSpec): Promise<void>;
  /**
   * Asks the guest to power off (ACPI, asking again while it has not) and waits up to
   * `timeoutMs`; then forces it off.
   * Resolves once the machine is stopped. Not cancellable: a guest told to power off does.
   */
  stop(serverId: string, options: { timeoutMs: number }): Promise<StopResult>;
  /** Cuts the power at once. */
  forceOff(serverId: string): Promise<void>;
  /** The machine's true state, or null when this adapter has never known the machine. */
  state(serverId: string): Promise<MachineState | null>;
  /** Machines this adapter finds running, whichever process started them. */
  running(): Promise<string[]>;
  /** The last `lines` lines of the serial console. */
  consoleTail(serverId: string, lines: number): Promise<string[]>;
  /** The console's last `backlog` lines, then its lines as they are written, until `signal` aborts. */
  consoleFollow(serverId: string, signal: AbortSignal, backlog?: number): AsyncIterable<string>;
  /** Forgets what it holds about a deleted server (its console, its state). */
  remove(serverId: string): Promise<void>;
  /** Lets go of the machines without stopping them (they outlive the process). */
  close(): Promise<void>;
}
