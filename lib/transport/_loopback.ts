// Private: loopback hosts, where plain http is the default and allowed.

/**
 * Whether a host (name or address, without port; IPv6 with or without
 * brackets) is a loopback host: `localhost`, 127.0.0.0/8 or ::1.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Whether a `host[:port]` (as in a reference's index name) is loopback. */
export function isLoopbackHostPort(hostPort: string): boolean {
  if (hostPort.startsWith("[")) {
    return isLoopbackHost(hostPort.slice(0, hostPort.indexOf("]") + 1));
  }
  return isLoopbackHost(hostPort.replace(/:\d+$/, ""));
}
