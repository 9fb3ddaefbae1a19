/**
 * Does this machine's tool satisfy the version a setup action asks for? Slipway never downloads
 * a toolchain: `actions/setup-node` and friends are accepted when the installed tool matches,
 * and rejected with a positioned error otherwise. Version specs follow what those actions
 * accept: a partial version (`20`, `3.11`, `1.22.x`), a semver range (`>=18`, `^1.21`, `~3.10`,
 * alternatives with `||`), and aliases meaning "whatever is current" (`lts/*`, `latest`, `stable`).
 */

const ANY = new Set(["latest", "current", "node", "stable", "oldstable", "lts/*", "*", "x", ""]);

/** Node's LTS code names, for `lts/iron` and the like. */
const LTS: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

type Version = [number, number, number];

export function parseVersion(text: string): Version | undefined {
  const match = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

export function satisfies(installed: string, spec: string): boolean {
  const version = parseVersion(installed);
  if (!version) return false;
  const wanted = spec.trim().toLowerCase();
  if (ANY.has(wanted)) return true;
  const lts = /^lts\/([a-z]+)$/.exec(wanted);
  if (lts?.[1] !== undefined) return LTS[lts[1]] === version[0];
  return wanted.split("||").some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .filter((c) => c !== "")
      .every((comparator) => matches(version, comparator)),
  );
}

function matches(version: Version, comparator: string): boolean {
  const match = /^(>=|<=|>|<|=|\^|~)?v?(.*)$/.exec(comparator);
  const op = match?.[1] ?? "";
  const parts = (match?.[2] ?? "").split(/[.-]/).slice(0, 3);
  // A partial version or x-wildcard fixes only the parts it names.
  const fixed: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) break;
    fixed.push(Number(part));
  }
  if (fixed.length === 0) return op === "" || op === "=";
  const padded: Version = [fixed[0] ?? 0, fixed[1] ?? 0, fixed[2] ?? 0];
  const cmp = compare(version, padded);
  const prefix = fixed.every((n, i) => version[i] === n);
  switch (op) {
    case ">=":
      return cmp >= 0;
    case ">":
      return cmp > 0 && !prefix;
    case "<=":
      return cmp <= 0 || prefix;
    case "<":
      return cmp < 0;
    case "^":
      return cmp >= 0 && (padded[0] !== 0 ? version[0] === padded[0] : version[1] === padded[1]);
    case "~":
      return cmp >= 0 && version[0] === padded[0] && (fixed.length < 2 || version[1] === padded[1]);
    default:
      return prefix;
  }
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** At least this version: Go's toolchain rules build a module declaring `go 1.22` with any newer Go. */
export function atLeast(installed: string, minimum: string): boolean {
  const a = parseVersion(installed);
  const b = parseVersion(minimum);
  return a !== undefined && b !== undefined && compare(a, b) >= 0;
}

/**
 * The version a version file names: `.nvmrc`, `.node-version`, `.python-version`, `.go-version`
 * (first line), `.tool-versions` (asdf), `go.mod` / `go.work` (`go` directive), `package.json`
 * (`volta.node`, then `engines.node`).
 */
export function versionFromFile(
  fileName: string,
  text: string,
  tool: "node" | "go" | "python",
): string | undefined {
  const base = fileName.split("/").pop() ?? fileName;
  if (base === "package.json") {
    try {
      const json = JSON.parse(text) as { volta?: { node?: string }; engines?: { node?: string } };
      return json.volta?.node ?? json.engines?.node;
    } catch {
      return undefined;
    }
  }
  if (base === "go.mod" || base === "go.work") return /^go\s+(\S+)/m.exec(text)?.[1];
  if (base === ".tool-versions") {
    const names = { node: ["nodejs", "node"], go: ["golang", "go"], python: ["python"] }[tool];
    for (const line of text.split("\n")) {
      const [name, version] = line.trim().split(/\s+/);
      if (name && version && names.includes(name)) return version;
    }
    return undefined;
  }
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .find((line) => line !== "");
}
