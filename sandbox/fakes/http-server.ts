// Starting and stopping the fakes' HTTP servers, the same way for each fake service.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on host:port (0: any free port) and returns the server's base URL. */
export async function listenOn(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

/** Closes the server, cutting kept-alive and open connections so close does not wait on clients. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
