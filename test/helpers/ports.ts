// A TCP port free on loopback now, for a process that needs a port before it starts (HAProxy,
// a redis-server of a test's own); the kernel may hand it out again before it is taken.
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
