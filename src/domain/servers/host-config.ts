// The final configuration of a deployed host, in cloud-init NoCloud terms.
import type { ConfigDriveFiles } from "../../storage/config-drive.ts";

interface HostFacts {
  id: string;
  hostname: string;
  fqdn: string;
  privateIpv4: string | null;
  publicIpv4: string | null;
  macAddress: string | null;
}

/** meta-data (instance-id, local-hostname), network-config v2 with the host's addresses, user-data. */
export function nocloudSeed(server: HostFacts, userData: string | null | undefined): ConfigDriveFiles {
  const metaData = `instance-id: ${server.id}\nlocal-hostname: ${server.hostname}\nhostname: ${server.fqdn}\n`;
  const networkConfig = [
    "version: 2",
    "ethernets:",
    "  eth0:",
    "    match:",
    `      macaddress: "${server.macAddress}"`,
    "    set-name: eth0",
    "    addresses:",
    `      - ${server.privateIpv4}/16`,
    `      - ${server.publicIpv4}/16`,
    "",
  ].join("\n");
  return { "meta-data": metaData, "network-config": networkConfig, ...(userData ? { "user-data": userData } : {}) };
}
