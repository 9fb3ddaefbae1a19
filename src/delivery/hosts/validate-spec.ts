import { UsageError } from "../../errors/index.js";
import type { InstanceSpec, Probe } from "./types.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Rejects a spec that could not run as written. Names and values end up in argv and, for SSH, in
 * a remote shell's command line: they are quoted there, but a NUL byte cannot travel at all and
 * a name that is not an identifier would not be an assignment.
 */
export function validateSpec(spec: InstanceSpec): void {
  const problems: string[] = [];
  if (spec.id === "") problems.push("id is empty");
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)
    problems.push(`port ${spec.port} is not a TCP port`);
  if (spec.command.trim() === "") problems.push("command is empty");
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(name))
      problems.push(`environment variable name ${JSON.stringify(name)} is not a shell identifier`);
    if (value.includes("\0")) problems.push(`environment variable ${name} holds a NUL byte`);
  }
  for (const [what, text] of [
    ["command", spec.command],
    ["cwd", spec.cwd],
    ["logFile", spec.logFile],
  ] as const) {
    if (text?.includes("\0")) problems.push(`${what} holds a NUL byte`);
  }
  if (spec.ssh !== undefined) {
    const { host, user, port } = spec.ssh;
    if (host === "" || host.startsWith("-"))
      problems.push(`ssh host ${JSON.stringify(host)} is not a host name`);
    if (user !== undefined && (user === "" || user.startsWith("-"))) {
      problems.push(`ssh user ${JSON.stringify(user)} is not a user name`);
    }
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      problems.push(`ssh port ${port} is not a TCP port`);
    }
  }
  for (const [which, probe] of [
    ["readiness", spec.readiness],
    ["liveness", spec.liveness],
  ] as const) {
    if (probe !== undefined) problems.push(...probeProblems(which, probe));
  }
  const restart = spec.restart ?? {};
  for (const [name, value] of Object.entries(restart)) {
    if (typeof value === "number" && !(value >= 0)) problems.push(`restart.${name} must not be negative`);
  }
  if (problems.length > 0) {
    throw new UsageError(`instance ${spec.id || "(no id)"} cannot run: ${problems.join("; ")}`);
  }
}

function probeProblems(which: string, probe: Probe): string[] {
  const problems: string[] = [];
  if ("http" in probe && !probe.http.path.startsWith("/"))
    problems.push(`${which} probe path must start with "/"`);
  for (const name of ["failureThreshold", "successThreshold", "periodMs", "timeoutMs"] as const) {
    const value = probe[name];
    if (value !== undefined && !(value >= 1)) problems.push(`${which} probe ${name} must be at least 1`);
  }
  return problems;
}
