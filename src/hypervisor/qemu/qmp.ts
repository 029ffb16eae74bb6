// A QMP client (QEMU Machine Protocol: JSON lines over the machine's unix socket). One
// connection per task: QEMU serves one client at a time, and a connection's end tells that
// the process exited.
import { createConnection, type Socket } from "node:net";

export class QmpError extends Error {}

export class Qmp {
  /** Resolves when the socket closes: QEMU exited, or close() was called. */
  readonly closed: Promise<void>;
  private buffer = "";
  private readonly pending: Array<{ resolve(value: unknown): void; reject(error: Error): void }> = [];
  private greeted!: () => void;

  private readonly socket: Socket;
  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => this.receive(text));
    socket.on("error", () => undefined); // a refused or reset connection shows as `closed`
    this.closed.then(() => {
      for (const waiter of this.pending.splice(0)) waiter.reject(new QmpError("QEMU closed its control socket"));
    });
  }

  static async connect(socketPath: string, timeoutMs = 5000): Promise<Qmp> {
    const socket = createConnection(socketPath);
    const qmp = new Qmp(socket);
    const greeting = new Promise<void>((resolve) => (qmp.greeted = resolve));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        greeting,
        qmp.closed.then(() => Promise.reject(new QmpError("QEMU's control socket refused the connection"))),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new QmpError("QEMU's control socket did not answer")), timeoutMs))),
      ]);
      await qmp.execute("qmp_capabilities");
      return qmp;
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
      if (message.QMP) this.greeted?.();
      else if ("return" in message) this.pending.shift()?.resolve(message.return);
      else if (message.error) this.pending.shift()?.reject(new QmpError(message.error.desc ?? "QMP error"));
      // Events (POWERDOWN, SHUTDOWN…) need no answer; the socket's end is what counts.
    }
  }
}
