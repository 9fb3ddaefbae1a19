import type { Step } from "../ir.js";
import { inputVariables, registerAction } from "./actions.js";
import type { ActionContext, ActionHandler, UsesStep } from "./actions.js";

/**
 * The actions Slipway serves itself, without a network: the checkout of the repository being
 * run, and the setup actions of tools this machine already has.
 */

const NO_NETWORK = "accepted; nothing is fetched, the local repository has everything";

/**
 * actions/checkout of the repository being run, from the local repository at the run's commit.
 * Without `ref` or `path` the workspace (a snapshot of the working tree) already holds the files:
 * the step gives it a `.git` whose objects are the project's own (alternates, nothing copied), at
 * the run's commit, so `git describe` and `git diff` work. With `ref`, the workspace becomes that
 * commit; with `path`, the commit is checked out there.
 */
const CHECKOUT_SCRIPT = String.raw`set -euo pipefail
src=$SLIPWAY_PROJECT_DIR
dest=$GITHUB_WORKSPACE${"$"}{INPUT_PATH:+/$INPUT_PATH}
want=${"$"}{INPUT_REF:-$GITHUB_SHA}
if ! top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null); then
  echo "the project is not in a git repository: the workspace already holds its files"
  exit 0
fi
if ! commit=$(git -C "$src" rev-parse --verify --quiet "$want^{commit}"); then
  echo "::error title=actions/checkout::ref $want is not a commit of the local repository $top"
  exit 1
fi
echo "ref=${"$"}{INPUT_REF:-$GITHUB_REF}" >> "$GITHUB_OUTPUT"
echo "commit=$commit" >> "$GITHUB_OUTPUT"
mkdir -p "$dest"
if [ "$(cd "$dest" && pwd -P)" = "$(cd "$src" && pwd -P)" ]; then
  if [ "$commit" != "$(git -C "$src" rev-parse HEAD)" ]; then
    echo "::error title=actions/checkout::with --in-place the workspace is your working tree; checking out $want there would change it"
    exit 1
  fi
  echo "the workspace is the project's own working tree (--in-place)"
  exit 0
fi
# The jobs of a run share its workspace: one checkout at a time, and a done one is not redone.
lock=${"$"}{RUNNER_TEMP%/*}/checkout.lock
for _ in $(seq 600); do mkdir "$lock" 2>/dev/null && break; sleep 0.1; done
trap 'rmdir "$lock" 2>/dev/null || true' EXIT
if [ -f "$dest/.git/slipway-checkout" ] && [ "$(git -C "$dest" rev-parse HEAD 2>/dev/null)" = "$commit" ]; then
  echo "$dest already holds the repository at $commit"
  exit 0
fi
if [ -e "$dest/.git" ] && [ ! -f "$dest/.git/slipway-checkout" ]; then
  echo "::error title=actions/checkout::$dest/.git was not made by a checkout of this run; it is left alone"
  exit 1
fi
if [ "$(cd "$top" && pwd -P)" != "$(cd "$src" && pwd -P)" ]; then
  if [ -z "${"$"}{INPUT_PATH:-}${"$"}{INPUT_REF:-}" ]; then
    echo "the workspace holds this project (a directory of $top) at $commit"
    exit 0
  fi
  git -C "$src" archive "$commit" | tar -x -C "$dest"
  echo "exported $top at $commit into $dest"
  exit 0
fi
objects=$(cd "$src" && cd "$(git rev-parse --git-common-dir)" && pwd -P)/objects
rm -rf "$dest/.git"
git init -q "$dest"
touch "$dest/.git/slipway-checkout"
echo "$objects" > "$dest/.git/objects/info/alternates"
git -C "$src" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags |
  sed 's# refs/heads/# refs/remotes/origin/#' > "$dest/.git/packed-refs"
git -C "$dest" remote add origin "$(git -C "$src" remote get-url origin 2>/dev/null || echo "$top")"
branch=
if [ -z "${"$"}{INPUT_REF:-}" ] && [ "${"$"}{GITHUB_REF#refs/heads/}" != "$GITHUB_REF" ]; then branch=${"$"}{GITHUB_REF#refs/heads/}; fi
if [ -n "${"$"}{INPUT_PATH:-}${"$"}{INPUT_REF:-}" ]; then
  git -C "$dest" -c advice.detachedHead=false checkout -q -f --detach "$commit"
  if [ "${"$"}{INPUT_CLEAN:-true}" != "false" ]; then git -C "$dest" clean -ffdxq -e .git; fi
  echo "checked out $commit into $dest"
else
  git -C "$dest" update-ref --no-deref HEAD "$commit"
  git -C "$dest" reset -q
  echo "the workspace is the repository at $commit (uncommitted changes of the working tree included)"
fi
if [ -n "$branch" ]; then
  git -C "$dest" checkout -q -B "$branch" "$commit" 2>/dev/null || git -C "$dest" update-ref "refs/heads/$branch" "$commit"
fi
`;

const checkout: ActionHandler = {
  name: "actions/checkout",
  inputs: {
    repository: "must be the repository being run",
    ref: "a branch, tag or commit of the local repository",
    path: "where to check out, under the workspace",
    clean: "with ref or path: remove untracked files (default true)",
    "fetch-depth": "accepted; the whole local history is available",
    "fetch-tags": "accepted; local tags are available",
    token: NO_NETWORK,
    "ssh-key": NO_NETWORK,
    "ssh-known-hosts": NO_NETWORK,
    "ssh-strict": NO_NETWORK,
    "ssh-user": NO_NETWORK,
    "persist-credentials": NO_NETWORK,
    filter: "accepted; every object is local",
    "sparse-checkout": "accepted; the whole tree is checked out",
    "sparse-checkout-cone-mode": "accepted; the whole tree is checked out",
    "show-progress": "accepted",
    lfs: "accepted; the working tree's files are used as they are",
    submodules: "accepted; the working tree's submodules are used as they are",
    "set-safe-directory": "accepted",
    "github-server-url": NO_NETWORK,
  },
  expand(step: UsesStep, context: ActionContext) {
    const repository = step.with.get("repository");
    if (repository)
      context.job.checkoutRepositories.push({ repository: repository.value, position: repository.position });
    return [
      {
        ...step.base,
        name: step.base.name,
        run: CHECKOUT_SCRIPT,
        shell: "bash",
        env: { ...step.base.env, ...inputVariables(step, { shell: true }) },
      },
    ];
  },
};

interface ToolSpec {
  action: string;
  tool: "node" | "go" | "python";
  /** The input with the version, and the one with a file naming it. */
  versionInput: string;
  fileInput: string;
  /** Prints the installed version (e.g. `v20.11.1`, `go1.22.1`, `Python 3.11.7`). */
  probe: string;
  /** Outputs the action sets, from `$version` (the installed version, digits only). */
  outputs: string;
  /** More of what the action does that needs no download (npm registry configuration). */
  extra?: string;
  inputs: Record<string, string>;
  unsupportedInputs?: Record<string, string>;
}

/** The `architecture` input names GitHub's architectures; the tool must be built for this machine. */
const ARCHITECTURE_CHECK = String.raw`if [ -n "${"$"}{INPUT_ARCHITECTURE:-}" ]; then
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; i?86) arch=x86 ;; arm*) arch=arm ;; *) arch=$(uname -m) ;; esac
  if [ "$INPUT_ARCHITECTURE" != "$arch" ]; then
    echo "::error::architecture $INPUT_ARCHITECTURE was asked for; this machine is $arch"
    exit 1
  fi
fi`;

/** What actions/setup-node writes for registry-url: an npmrc reading the token from NODE_AUTH_TOKEN. */
const NPMRC = String.raw`if [ -n "${"$"}{INPUT_REGISTRY_URL:-}" ]; then
  registry=${"$"}{INPUT_REGISTRY_URL%/}/
  npmrc=$RUNNER_TEMP/.npmrc
  {
    if [ -n "${"$"}{INPUT_SCOPE:-}" ]; then echo "${"$"}{INPUT_SCOPE}:registry=$registry"; else echo "registry=$registry"; fi
    echo "//${"$"}{registry#*://}:_authToken=\${NODE_AUTH_TOKEN}"
    if [ "${"$"}{INPUT_ALWAYS_AUTH:-}" = "true" ]; then echo "always-auth=true"; fi
  } > "$npmrc"
  echo "NPM_CONFIG_USERCONFIG=$npmrc" >> "$GITHUB_ENV"
  echo "NODE_AUTH_TOKEN=XXXXX-XXXXX-XXXXX-XXXXX" >> "$GITHUB_ENV"
fi`;

const NO_CACHE =
  "accepted; Slipway keeps no dependency cache for setup actions (cache a job or step instead)";
const NO_DOWNLOAD = "accepted; nothing is downloaded";

function setupAction(spec: ToolSpec): ActionHandler {
  return {
    name: spec.action,
    inputs: spec.inputs,
    ...(spec.unsupportedInputs ? { unsupportedInputs: spec.unsupportedInputs } : {}),
    expand(step, context) {
      const version = step.with.get(spec.versionInput)?.value;
      const versionFile = step.with.get(spec.fileInput)?.value;
      context.job.toolChecks.push({
        action: step.uses,
        tool: spec.tool,
        ...(version !== undefined ? { version } : {}),
        ...(versionFile !== undefined ? { versionFile } : {}),
        position:
          step.with.get(spec.versionInput)?.position ??
          step.with.get(spec.fileInput)?.position ??
          step.usesPosition,
      });
      const run = [
        `if ! installed=$(${spec.probe} 2>&1); then`,
        `  echo "::error title=${spec.action}::${spec.tool} is not installed on this machine, and Slipway downloads no toolchain"`,
        "  exit 1",
        "fi",
        `version=$(printf '%s' "$installed" | grep -oE '[0-9]+(\\.[0-9]+)+' | head -n 1)`,
        `echo "${spec.tool} $version from this machine ($(command -v ${spec.tool === "python" ? "python3" : spec.tool}))"`,
        ARCHITECTURE_CHECK,
        spec.outputs,
        ...(spec.extra ? [spec.extra] : []),
      ].join("\n");
      const shown: Omit<Step, "index"> = {
        ...step.base,
        run,
        shell: "bash",
        env: { ...step.base.env, ...inputVariables(step, { shell: true }) },
      };
      return [shown];
    },
  };
}

const setupNode = setupAction({
  action: "actions/setup-node",
  tool: "node",
  versionInput: "node-version",
  fileInput: "node-version-file",
  probe: "node --version",
  outputs: `echo "node-version=v$version" >> "$GITHUB_OUTPUT"\necho "cache-hit=false" >> "$GITHUB_OUTPUT"`,
  extra: NPMRC,
  inputs: {
    "node-version": "must match this machine's node",
    "node-version-file": "the version it names must match this machine's node",
    architecture: "must be this machine's",
    "check-latest": NO_DOWNLOAD,
    "registry-url": "writes an npmrc for it that reads NODE_AUTH_TOKEN, as the action does",
    scope: "the scope of registry-url",
    token: NO_DOWNLOAD,
    cache: NO_CACHE,
    "cache-dependency-path": NO_CACHE,
    "package-manager-cache": NO_CACHE,
    "always-auth": "written to the npmrc of registry-url",
    mirror: NO_DOWNLOAD,
    "mirror-token": NO_DOWNLOAD,
  },
});

const setupGo = setupAction({
  action: "actions/setup-go",
  tool: "go",
  versionInput: "go-version",
  fileInput: "go-version-file",
  probe: "go version",
  outputs: `echo "go-version=$version" >> "$GITHUB_OUTPUT"\necho "cache-hit=false" >> "$GITHUB_OUTPUT"`,
  inputs: {
    "go-version": "must match this machine's go",
    "go-version-file": "this machine's go must be at least the version it names (Go's toolchain rule)",
    architecture: "must be this machine's",
    "check-latest": NO_DOWNLOAD,
    token: NO_DOWNLOAD,
    cache: NO_CACHE,
    "cache-dependency-path": NO_CACHE,
  },
});

const setupPython = setupAction({
  action: "actions/setup-python",
  tool: "python",
  versionInput: "python-version",
  fileInput: "python-version-file",
  probe: "python3 --version",
  outputs: `echo "python-version=$version" >> "$GITHUB_OUTPUT"\necho "python-path=$(command -v python3)" >> "$GITHUB_OUTPUT"\necho "cache-hit=false" >> "$GITHUB_OUTPUT"`,
  inputs: {
    "python-version": "must match this machine's python3",
    "python-version-file": "the version it names must match this machine's python3",
    architecture: "must be this machine's",
    "check-latest": NO_DOWNLOAD,
    token: NO_DOWNLOAD,
    cache: NO_CACHE,
    "cache-dependency-path": NO_CACHE,
    "update-environment": "accepted; the environment already has this machine's python3",
    "allow-prereleases": NO_DOWNLOAD,
  },
  unsupportedInputs: {
    freethreaded: "a free-threaded build would have to be downloaded",
    "pip-version": "pip would have to be downloaded; this machine's pip is used by python3 -m pip",
    "pip-install": "install packages in a `run:` step with python3 -m pip",
  },
});

for (const handler of [checkout, setupNode, setupGo, setupPython]) registerAction(handler);
