import type { LocatedCommand, Run } from "../model.js";
import { hasFlag, positionals, type Invocation } from "../shell.js";
import {
  BEST_PRACTICES,
  commandsOf,
  dockerfileRule,
  hadolint,
  reportCommand,
  shippedStages,
} from "./define.js";

function aptSubcommand(call: Invocation | undefined): string | undefined {
  if (call?.program !== "apt-get" && call?.program !== "apt") return undefined;
  // `apt-get -y -o Dpkg::Options::=--force-confold install`: option values are not subcommands.
  for (let i = 0; i < call.args.length; i++) {
    const value = call.args[i]?.value ?? "";
    if (value === "-o" || value === "-c" || value === "-t") {
      i++;
      continue;
    }
    if (!value.startsWith("-")) return value;
  }
  return undefined;
}

function cacheMount(run: Run, path: RegExp): boolean {
  return run.mounts.some(
    (m) =>
      /(?:^|,)type=cache(?:,|$)/.test(m.value ?? "") &&
      path.test(/(?:^|,)(?:target|dst|destination)=([^,]+)/.exec(m.value ?? "")?.[1] ?? ""),
  );
}

function removes(run: Run, path: RegExp): boolean {
  return run.commands.some((c) => c.call?.program === "rm" && c.call.args.some((a) => path.test(a.value)));
}

export const aptRecommends = dockerfileRule({
  id: "DOCKER-008",
  title: "apt-get install without --no-install-recommends",
  severity: "low",
  rationale:
    "Recommended packages are installed by default: they add megabytes and often dozens of packages nobody asked for, each one more thing to patch and more attack surface in the image.",
  remediation: "Add `--no-install-recommends` and list what is really needed.",
  references: [hadolint("DL3015"), BEST_PRACTICES + "#apt-get", "CIS Docker Benchmark 4.3"],
  check(model, report) {
    for (const located of commandsOf(shippedStages(model))) {
      if (aptSubcommand(located.call) !== "install") continue;
      const args = located.call?.args ?? [];
      if (
        hasFlag(args, ["--no-install-recommends"]) ||
        args.some((a) => /^APT::Install-Recommends=(false|0)$/i.test(a.value))
      )
        continue;
      reportCommand(
        model,
        located,
        report,
        `${located.call?.program ?? "apt-get"} install also installs recommended packages`,
      );
    }
  },
});

export const aptListsKept = dockerfileRule({
  id: "DOCKER-009",
  title: "apt lists are not removed after installing",
  severity: "low",
  rationale:
    "`apt-get update` downloads package indexes to /var/lib/apt/lists; left in the layer they add tens of megabytes and go stale, so a later `apt-get install` in a derived image installs from outdated lists.",
  remediation:
    "End the same RUN with `&& rm -rf /var/lib/apt/lists/*`, or use a cache mount for /var/lib/apt.",
  references: [hadolint("DL3009"), BEST_PRACTICES + "#apt-get"],
  check(model, report) {
    for (const stage of shippedStages(model))
      for (const run of stage.runs) {
        const install = run.commands.find((c) => aptSubcommand(c.call) === "install");
        if (
          !install ||
          removes(run, /^\/var\/lib\/apt\/lists/) ||
          cacheMount(run, /^\/var\/lib\/apt(\/lists)?\/?$/)
        )
          continue;
        reportCommand(
          model,
          install,
          report,
          "this RUN installs packages but keeps /var/lib/apt/lists in the layer",
        );
      }
  },
});

export const aptUpgrade = dockerfileRule({
  id: "DOCKER-010",
  title: "apt-get upgrade in a Dockerfile",
  severity: "low",
  rationale:
    "Upgrading every package inside the build makes the image depend on the day it was built and hides what changed; security updates belong in a newer base image, which is tested as a whole.",
  remediation:
    "Update the base image tag or digest instead; install specific package versions when one fix is needed.",
  references: [hadolint("DL3005"), BEST_PRACTICES + "#apt-get", "CIS Docker Benchmark 4.7"],
  check(model, report) {
    for (const located of commandsOf(model.stages)) {
      const sub = aptSubcommand(located.call);
      if (sub === "upgrade" || sub === "dist-upgrade" || sub === "full-upgrade")
        reportCommand(
          model,
          located,
          report,
          `${located.call?.program ?? "apt-get"} ${sub} upgrades whatever is current on build day`,
        );
    }
  },
});

export const apkCache = dockerfileRule({
  id: "DOCKER-011",
  title: "apk add without --no-cache",
  severity: "low",
  rationale: "apk keeps its index and downloaded packages in /var/cache/apk, which then ships in the layer.",
  remediation: "Use `apk add --no-cache …` (no separate `apk update` needed).",
  references: [hadolint("DL3019"), "https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper"],
  check(model, report) {
    for (const stage of shippedStages(model))
      for (const run of stage.runs)
        for (const located of run.commands) {
          const call = located.call;
          if (call?.program !== "apk" || positionals(call.args)[0]?.value !== "add") continue;
          if (
            hasFlag(call.args, ["--no-cache"]) ||
            removes(run, /^\/var\/cache\/apk/) ||
            cacheMount(run, /^\/var\/cache\/apk\/?$/)
          )
            continue;
          reportCommand(model, located, report, "apk add keeps its cache in the layer");
        }
  },
});

function isPipInstall(located: LocatedCommand): boolean {
  const call = located.call;
  if (!call) return false;
  const args = call.args.map((a) => a.value);
  if (/^pip[0-9.]*$/.test(call.program)) return positionals(call.args)[0]?.value === "install";
  if (/^python[0-9.]*$/.test(call.program)) {
    const m = args.indexOf("-m");
    return m >= 0 && /^pip[0-9.]*$/.test(args[m + 1] ?? "") && args[m + 2] === "install";
  }
  return false;
}

export const pipCache = dockerfileRule({
  id: "DOCKER-012",
  title: "pip install without --no-cache-dir",
  severity: "low",
  rationale:
    "pip keeps every downloaded wheel in ~/.cache/pip, which then ships in the layer and can double its size.",
  remediation:
    "Add `--no-cache-dir`, set `ENV PIP_NO_CACHE_DIR=1`, or use a cache mount for /root/.cache/pip.",
  references: [hadolint("DL3042"), "https://pip.pypa.io/en/stable/topics/caching/"],
  check(model, report) {
    for (const stage of shippedStages(model))
      for (const run of stage.runs) {
        const scope = stage.scopes.get(run.instruction);
        if (scope?.has("PIP_NO_CACHE_DIR") || cacheMount(run, /\.cache(\/pip)?\/?$/)) continue;
        for (const located of run.commands) {
          if (!isPipInstall(located) || hasFlag(located.call?.args ?? [], ["--no-cache-dir"])) continue;
          reportCommand(model, located, report, "pip install keeps its download cache in the layer");
        }
      }
  },
});

export const npmInstall = dockerfileRule({
  id: "DOCKER-025",
  title: "npm install instead of npm ci",
  severity: "low",
  rationale:
    "`npm install` may resolve newer versions than package-lock.json records and rewrites the lockfile, so the image does not contain the dependency tree that was reviewed and tested; `npm ci` installs exactly the lockfile or fails.",
  remediation: "Use `npm ci` (with `--omit=dev` for production images).",
  references: ["https://docs.npmjs.com/cli/commands/npm-ci", BEST_PRACTICES],
  check(model, report) {
    for (const located of commandsOf(model.stages)) {
      const call = located.call;
      if (call?.program !== "npm") continue;
      const args = positionals(call.args);
      const sub = args[0]?.value;
      // `npm install -g pnpm` installs a named tool, which is not the project's tree.
      if ((sub === "install" || sub === "i") && args.length === 1)
        reportCommand(
          model,
          located,
          report,
          `npm ${sub} does not install exactly what package-lock.json records`,
        );
    }
  },
});
