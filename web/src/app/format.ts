/** Durations as people read them: 850ms, 12.3s, 4m 05s, 1h 02m. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3_600)}h ${String(Math.floor((s % 3_600) / 60)).padStart(2, "0")}m`;
}

/** From start to end, or to now while it runs. */
export function elapsed(start: number | undefined, end: number | undefined, now: number): number | undefined {
  if (start === undefined) return undefined;
  return (end ?? now) - start;
}

export function formatTime(at: number | undefined): string {
  if (at === undefined) return "";
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** "3 min ago"; absolute time in the element's title. */
export function formatAgo(at: number | undefined, now: number): string {
  if (at === undefined) return "";
  const s = Math.max(0, Math.round((now - at) / 1_000));
  if (s < 60) return `${s}s ago`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** refs/heads/main → main; tags and other refs keep their kind. */
export function branchOf(ref: string | undefined): string {
  if (ref === undefined) return "";
  if (ref.startsWith("refs/heads/")) return ref.slice("refs/heads/".length);
  if (ref.startsWith("refs/tags/")) return `tag ${ref.slice("refs/tags/".length)}`;
  return ref;
}

export function shortSha(sha: string | undefined): string {
  return sha === undefined ? "" : sha.slice(0, 8);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
