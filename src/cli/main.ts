import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { ConfigError, SlipwayError, formatDiagnostics } from "../errors/index.js";
import { EXIT, exitCodeForError } from "./exit-codes.js";
import type { RunFlags } from "./commands/run.js";
import type { SourceFlags, WorkflowFlags } from "./commands/load.js";
import type { CheckFlags } from "./commands/check.js";
import type { SloGateFlags } from "./commands/slo.js";
import type { AgentFlags, RemoteFlags, ServeFlags } from "./commands/server.js";
import type { DeliveryFlags, DeployFlags, ReleaseFlags } from "./commands/deploy.js";
import type { TfProjectFlags, TfStateFlags } from "./commands/tf.js";
import type { TfApplyFlags, TfDriftFlags, TfPlanFlags } from "./commands/tf-steps.js";
import type { K8sApplyFlags, K8sFlags, K8sStatusFlags } from "./commands/k8s.js";
import type { TenantsApplyFlags, TenantsFlags } from "./commands/tenants.js";
import { CHECK_FORMATS, FAIL_ON, FRAMEWORKS } from "../guardrails/model.js";

declare const __SLIPWAY_VERSION__: string | undefined;
/** Set by the bundler (scripts/build.mjs); "dev" when run from sources. */
const version = typeof __SLIPWAY_VERSION__ === "string" ? __SLIPWAY_VERSION__ : "dev";

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError("expected a fraction from 0 to 1, e.g. 0.25");
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number, 0 or more");
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

/** For repeatable options: `--input a=1 --input b=2` (a variadic option would swallow job names). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const EVENTS = ["push", "pull_request", "workflow_dispatch", "schedule"];

/** The options naming the pipeline file, and how a GitHub workflow is played. */
function pipelineOptions(command: Command, kind: "run" | "inspect"): Command {
  command
    .option("--workflow <file>", "a GitHub Actions workflow, e.g. .github/workflows/ci.yml")
    .option("--gitlab [file]", "a GitLab CI file (default: .gitlab-ci.yml)")
    .addOption(
      new Option("--event <name>", "the event a workflow run plays (default: the first it declares)").choices(
        EVENTS,
      ),
    )
    .option(
      "--input <NAME=VALUE>",
      "an input of a manual run (on.manual.inputs) or of workflow_dispatch (repeatable)",
      collect,
    )
    .option("--var <NAME=VALUE>", "a value of the vars context (repeatable)", collect)
    .option("--vars-file <path>", "NAME=value lines for the vars context")
    .option("--matrix <AXIS=VALUE>", "keep only the matrix children with this value (repeatable)", collect)
    .option(
      "--actions-base-url <url>",
      "where a workflow's owner/repo@ref actions are fetched from (default: $SLIPWAY_ACTIONS_BASE_URL, else https://github.com)",
    );
  if (kind === "run") {
    command
      .option(
        "--force-trigger",
        "run a workflow even when the event's filters exclude this branch or these changes",
      )
      .option("--debug", "keep a workflow's ::debug:: lines (as ACTIONS_STEP_DEBUG does)");
  }
  return command;
}

const program = new Command("slipway")
  .description("Slipway: pipelines as code, from commit to production, with guardrails.")
  .version(version)
  .showHelpAfterError()
  // Options of the program (--version) only before a subcommand, so `tf state show --version N` is the state's.
  .enablePositionalOptions()
  .exitOverride();

const run = program
  .command("run")
  .description("Run the pipeline (or the named jobs and what they need) on this machine")
  .argument("[jobs...]", "jobs to run, with the jobs they need")
  .option("-f, --file <path>", "pipeline file (default: slipway.yaml or .slipway/pipeline.yaml)");
pipelineOptions(run, "run")
  .option("--json", "print the event stream as NDJSON")
  .option("--plain", "plain prefixed lines even on a terminal")
  .option("-j, --concurrency <n>", "jobs running at once (default: number of CPUs)", positiveInt)
  .option("-e, --env <NAME=VALUE...>", "variables for this run, as if in the pipeline's env")
  .option("--secret-file <path>", "file of NAME=value secrets, masked in logs")
  .option("--no-cache", "ignore cached results and run everything")
  .option("--in-place", "run in the project directory instead of a snapshot of it")
  .option("--data-dir <dir>", "where runs, logs and the cache are kept (default: <project>/.slipway)")
  .option("--server <url>", "start the run on a Slipway server and follow it (with --project)")
  .option("--token <token>", "API token for --server (default: $SLIPWAY_TOKEN)")
  .option("--project <name>", "the server project to run (with --server)")
  .option("--ref <ref>", "branch, tag or commit to run on the server (default: the project's default branch)")
  .addOption(
    new Option(
      "--executor <name>",
      "how steps are started: slots (bash slots, fast) or process (one spawn per step)",
    )
      .choices(["slots", "process"])
      .default("slots"),
  )
  .action(async (jobs: string[], flags: RunFlags & RemoteFlags & { project?: string; ref?: string }) =>
    flags.server
      ? (await import("./commands/server.js")).remoteRunCommand(jobs, flags)
      : (await import("./commands/run.js")).runCommand(jobs, flags),
  );

pipelineOptions(
  program
    .command("validate")
    .description("Check a pipeline file and report every problem with its position")
    .option("-f, --file <path>", "pipeline file"),
  "inspect",
).action(async (flags: SourceFlags & WorkflowFlags) =>
  (await import("./commands/validate.js")).validateCommand(flags),
);

pipelineOptions(
  program
    .command("graph")
    .description("Print the job graph (matrix expanded) as Mermaid or DOT")
    .argument("[jobs...]", "only these jobs and what they need")
    .option("-f, --file <path>", "pipeline file")
    .addOption(
      new Option("--format <format>", "output format").choices(["mermaid", "dot"]).default("mermaid"),
    ),
  "inspect",
).action(async (jobs: string[], flags: SourceFlags & WorkflowFlags & { format: "mermaid" | "dot" }) =>
  (await import("./commands/graph.js")).graphCommand(jobs, flags),
);

program
  .command("runs")
  .description("List past runs, newest first")
  .option("-n, --limit <n>", "how many", positiveInt, 20)
  .option("--json", "print JSON")
  .option("--data-dir <dir>", "data directory (default: ./.slipway)")
  .option("--server <url>", "list a Slipway server's runs")
  .option("--token <token>", "API token for --server (default: $SLIPWAY_TOKEN)")
  .option("--project <name>", "only this project's runs (with --server)")
  .action(async (flags: RemoteFlags & { limit: number; project?: string }) =>
    flags.server
      ? (await import("./commands/server.js")).remoteRunsCommand(flags)
      : (await import("./commands/runs.js")).runsCommand(flags),
  );

program
  .command("logs")
  .description("Print the logs of a run (by number or id), or of one of its jobs")
  .argument("<run>", "run number or id")
  .argument("[job]", "job key, e.g. build or 'test (linux, 20)'")
  .option("--json", "print JSON lines")
  .option("--timestamps", "prefix each line with its time")
  .option("--data-dir <dir>", "data directory (default: ./.slipway)")
  .option("--server <url>", "read the logs from a Slipway server")
  .option("--token <token>", "API token for --server (default: $SLIPWAY_TOKEN)")
  .action(
    async (
      run: string,
      job: string | undefined,
      flags: RemoteFlags & { json?: boolean; timestamps?: boolean; dataDir?: string },
    ) =>
      flags.server
        ? (await import("./commands/server.js")).remoteLogsCommand(run, job, flags)
        : (await import("./commands/logs.js")).logsCommand(run, job, flags),
  );

program
  .command("serve")
  .description("Run the control plane: HTTP API, webhooks, the job queue and a local runner pool")
  .option("--data-dir <dir>", "where the store, artifacts and keys are kept (default: ./.slipway)")
  .option("--database <url>", "a postgres:// URL instead of SQLite (several servers can share it)")
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("-p, --port <port>", "port to listen on (0: any free port)", nonNegativeInt, 7700)
  .option("--runners <n>", "built-in agents in this process (0: only remote agents)", nonNegativeInt, 2)
  .option("--lease-seconds <n>", "how long an agent's lease lasts without a heartbeat", positiveInt)
  .option("--otlp-endpoint <url>", "send traces (OTLP/HTTP) here (default: $OTEL_EXPORTER_OTLP_ENDPOINT)")
  .option(
    "--tf-keep-versions <n>",
    "keep the newest N versions of each Terraform state, pruning older ones on every write (default: keep all)",
    positiveInt,
  )
  .action(async (flags: ServeFlags) => (await import("./commands/server.js")).serveCommand(flags));

program
  .command("agent")
  .description("Run jobs leased from a Slipway server")
  .requiredOption("--server <url>", "the server, e.g. http://127.0.0.1:7700")
  .option("--token <token>", "agent token (default: $SLIPWAY_TOKEN); slipway token create --agent makes one")
  .option("--labels <a,b>", "labels this agent offers (jobs with runs-on: [self-hosted, ...] need them)")
  .option("-c, --concurrency <n>", "jobs at once", positiveInt, 1)
  .option("--name <name>", "name shown on the server (default: hostname and a random suffix)")
  .option(
    "--data-dir <dir>",
    "checkouts, workspaces and the cache (default: a directory under the system's temp)",
  )
  .action(async (flags: AgentFlags) => (await import("./commands/server.js")).agentCommand(flags));

const remoteOptions = (command: Command) =>
  command
    .option("--server <url>", "the Slipway server")
    .option("--token <token>", "API token (default: $SLIPWAY_TOKEN)")
    .option("--json", "print JSON");

const token = program.command("token").description("API and agent tokens");
remoteOptions(
  token
    .command("create")
    .description(
      "Create a token (printed once). Without --server, writes to the store in --data-dir directly",
    )
    .option("--role <role>", "viewer, developer, operator or admin (default: viewer)")
    .option("--project <name>", "limit the token to one project")
    .option("--agent", "an agent token: can only lease jobs")
    .option("--name <name>", "what the token is for")
    .option("--data-dir <dir>", "the server's data directory, without --server (default: ./.slipway)")
    .option("--database <url>", "the server's PostgreSQL, without --server"),
).action(async (flags: RemoteFlags & { role?: string; project?: string; agent?: boolean; name?: string }) =>
  (await import("./commands/server.js")).tokenCreateCommand(flags),
);

const projectCommand = program.command("project").description("Projects of a Slipway server");
remoteOptions(
  projectCommand
    .command("add")
    .description("Register a git repository (local path or URL) as a project")
    .argument("<name>", "project name")
    .requiredOption("--repo <path-or-url>", "the repository")
    .option("--branch <name>", "default branch (default: the repository's HEAD)")
    .option("--poll <seconds>", "poll the repository for new commits this often", positiveInt),
).action(async (name: string, flags: RemoteFlags & { repo: string; branch?: string; poll?: number }) =>
  (await import("./commands/server.js")).projectAddCommand(name, flags),
);

for (const decision of ["approve", "reject"] as const) {
  remoteOptions(
    program
      .command(decision)
      .description(
        decision === "approve"
          ? "Approve a job that waits for approval, naming what it waits for (--subject)"
          : "Reject a job that waits for approval: it fails, with your comment",
      )
      .argument("<run>", "run id or number")
      .argument("<job>", "the waiting job's key")
      .option("--subject <text>", "what the job waits for approval of (a plan checksum), as it printed")
      .option("--comment <text>", "why, kept with the decision and in the audit log")
      .option(
        "--data-dir <dir>",
        "the store a local `slipway run` uses, without --server (default: ./.slipway)",
      )
      .option("--database <url>", "the server's PostgreSQL, without --server"),
  ).action(async (run: string, job: string, flags: RemoteFlags & { subject?: string; comment?: string }) =>
    (await import("./commands/server.js")).decideCommand(decision, run, job, flags),
  );
}

remoteOptions(
  program
    .command("audit")
    .description("Print a server's audit log, newest first")
    .option("-n, --limit <n>", "how many entries", positiveInt, 50),
).action(async (flags: RemoteFlags & { limit: number }) =>
  (await import("./commands/server.js")).auditCommand(flags),
);

const deliveryOptions = (command: Command) =>
  remoteOptions(command)
    .addOption(
      new Option("--project <name>", "the server project").env("SLIPWAY_PROJECT").makeOptionMandatory(),
    )
    .option(
      "--file <file>",
      "the slipway.yaml declaring services, analysis and environments",
      "slipway.yaml",
    );

const env = program.command("env").description("Environments a server deploys to");
deliveryOptions(
  env.command("apply").description("Set the project's environments from slipway.yaml (operator role)"),
).action(async (flags: DeliveryFlags) => (await import("./commands/deploy.js")).envApplyCommand(flags));
deliveryOptions(env.command("list").description("The project's environments and what each runs")).action(
  async (flags: DeliveryFlags) => (await import("./commands/deploy.js")).envListCommand(flags),
);
deliveryOptions(
  env
    .command("diff")
    .argument("<environment>")
    .description(
      "Drift of an environment on Kubernetes from the releases it runs, field by field (exit 1 when out of sync)",
    ),
).action(async (environment: string, flags: DeliveryFlags) =>
  (await import("./commands/deploy.js")).envSyncCommand(environment, false, flags),
);
deliveryOptions(
  env
    .command("heal")
    .argument("<environment>")
    .description("Apply again what drifted in an environment on Kubernetes (operator role)"),
).action(async (environment: string, flags: DeliveryFlags) =>
  (await import("./commands/deploy.js")).envSyncCommand(environment, true, flags),
);

const release = program.command("release").description("Releases: immutable versions of a service");
deliveryOptions(
  release
    .command("create")
    .description("Upload a directory as a release of a service, with its configuration from slipway.yaml")
    .argument("<service>")
    .argument("<version>")
    .requiredOption("--dir <dir>", "the release's files"),
).action(async (service: string, version: string, flags: ReleaseFlags) =>
  (await import("./commands/deploy.js")).releaseCreateCommand(service, version, flags),
);

deliveryOptions(
  program
    .command("deploy")
    .description("Deploy a release to an environment with the service's strategy, and follow it")
    .argument("[service]", "the service (or --service)")
    .argument("[version]", "the release's version (or --release)")
    .option("--service <name>", "the service")
    .option("--release <version>", "the release's version")
    .requiredOption("--environment <name>", "where to deploy")
    .option("--dir <dir>", "create the release from this directory first")
    .option("--override <reason>", "deploy through a freeze window or a spent error budget, for this reason")
    .option("--no-wait", "return once the deployment started"),
).action(async (service: string | undefined, version: string | undefined, flags: DeployFlags) =>
  (await import("./commands/deploy.js")).deployCommand(service, version, flags),
);

deliveryOptions(
  program
    .command("rollback")
    .description("Return a service to its previous release at once (no pauses, no analysis)")
    .argument("<service>")
    .requiredOption("--environment <name>", "the environment")
    .option("--no-wait", "return once the rollback started"),
).action(async (service: string, flags: DeployFlags) =>
  (await import("./commands/deploy.js")).rollbackCommand(service, flags),
);

deliveryOptions(
  program
    .command("deployments")
    .description("A project's deployments, newest first")
    .option("--environment <name>", "only this environment")
    .option("--service <name>", "only this service"),
).action(async (flags: DeliveryFlags & { environment?: string; service?: string }) =>
  (await import("./commands/deploy.js")).deploymentsCommand(flags),
);

const deployment = program.command("deployment").description("One deployment: its history, and hands on it");
deliveryOptions(
  deployment.command("show").description("A deployment and every step of it").argument("<id>"),
).action(async (id: string, flags: DeliveryFlags) =>
  (await import("./commands/deploy.js")).deploymentShowCommand(id, flags),
);
deliveryOptions(
  deployment
    .command("promote")
    .description("Go on past the current pause; with --full, past every remaining step")
    .argument("<id>")
    .option("--full", "skip the remaining steps"),
).action(async (id: string, flags: DeliveryFlags & { full?: boolean }) =>
  (await import("./commands/deploy.js")).deploymentActionCommand("promote", id, flags),
);
deliveryOptions(
  deployment
    .command("abort")
    .description("Put all traffic back on the stable release and stop the new one")
    .argument("<id>")
    .option("--reason <text>", "why, kept in the history and the audit log"),
).action(async (id: string, flags: DeliveryFlags & { reason?: string }) =>
  (await import("./commands/deploy.js")).deploymentActionCommand("abort", id, flags),
);
deliveryOptions(
  deployment
    .command("approve")
    .description("Approve a deployment waiting for approval (the environment's approval role)")
    .argument("<id>")
    .option("--comment <text>", "kept with the approval"),
).action(async (id: string, flags: DeliveryFlags & { comment?: string }) =>
  (await import("./commands/deploy.js")).deploymentActionCommand("approve", id, flags),
);

const tf = program
  .command("tf")
  .description("Terraform: plan, apply and drift steps, and the remote state a Slipway server keeps");
const tfState = tf
  .command("state")
  .description("Terraform states kept by the server: list them, their versions, roll back");
const stateOptions = (command: Command) =>
  remoteOptions(command)
    .requiredOption("--project <name>", "the server project")
    .requiredOption("--state <name>", "the state, as in the backend address /api/terraform/PROJECT/STATE");
remoteOptions(
  tfState
    .command("list")
    .description("List a project's states: current version, serial, size, lock holder, last write")
    .requiredOption("--project <name>", "the server project"),
).action(async (flags: TfProjectFlags) => (await import("./commands/tf.js")).tfStateListCommand(flags));
stateOptions(tfState.command("versions").description("List the state's versions, newest first")).action(
  async (flags: TfStateFlags) => (await import("./commands/tf.js")).tfStateVersionsCommand(flags),
);
stateOptions(
  tfState
    .command("show")
    .description("Print a version of the state as stored (default: the current one)")
    .option("--version <n>", "the version to print", positiveInt),
).action(async (flags: TfStateFlags) => (await import("./commands/tf.js")).tfStateShowCommand(flags));
stateOptions(
  tfState
    .command("rollback")
    .description("Make a version's content the current state again, as a new version with the next serial")
    .requiredOption("--version <n>", "the version to roll back to", positiveInt)
    .option("--lock-id <id>", "the ID of the lock you hold on the state, if you locked it"),
).action(async (flags: TfStateFlags) => (await import("./commands/tf.js")).tfStateRollbackCommand(flags));

const terraformStepOptions = (command: Command) =>
  command
    .requiredOption("--dir <dir>", "the Terraform configuration directory")
    .option(
      "--init-arg <arg>",
      "an argument for terraform init, e.g. --init-arg=-backend-config=prod.hcl (repeatable)",
      collect,
    )
    .option(
      "--binary <path>",
      "the terraform executable (default: $SLIPWAY_TERRAFORM, else terraform or tofu on PATH)",
    );
const terraformVarOptions = (command: Command) =>
  command
    .option(
      "--var-file <file>",
      "a -var-file, relative to the current directory (repeatable, in order)",
      collect,
    )
    .option("--var <NAME=VALUE>", "a -var (repeatable)", collect);
terraformVarOptions(
  terraformStepOptions(
    tf
      .command("plan")
      .description("init, plan -out and show -json; print a summary of the changes and the plan's SHA-256")
      .option("--workspace <name>", "select (or create) this workspace first")
      .option(
        "--out <dir>",
        "where plan.tfplan, plan.json and plan.meta.json go (default: .slipway/tf/<dir>)",
      ),
  ),
).action(async (flags: TfPlanFlags) => (await import("./commands/tf-steps.js")).tfPlanCommand(flags));
terraformStepOptions(
  tf
    .command("apply")
    .description(
      "Apply exactly a saved plan: refused when its SHA-256 is not --checksum or the state moved since",
    )
    .option("--plan <file>", "the saved plan (default: .slipway/tf/<dir>/plan.tfplan)")
    .option("--checksum <sha256>", "the SHA-256 of the reviewed plan"),
).action(async (flags: TfApplyFlags) => (await import("./commands/tf-steps.js")).tfApplyCommand(flags));
terraformVarOptions(
  terraformStepOptions(
    tf
      .command("drift")
      .description("Refresh-only and normal plans per workspace; write a drift report (exit 3 when drifted)")
      .option("--workspace <name>", "a workspace to check (repeatable; default: the current one)", collect)
      .option("--report <file>", "the JSON drift report (default: .slipway/tf/drift.json)")
      .option("--no-fail-on-drift", "exit 0 even when something drifted"),
  ),
).action(async (flags: TfDriftFlags) => (await import("./commands/tf-steps.js")).tfDriftCommand(flags));

remoteOptions(
  tf
    .command("drift-status")
    .description(
      "Each Terraform directory and workspace of a project: drifted or clean, since when, and the run that found it",
    )
    .requiredOption("--project <name>", "the server project"),
).action(async (flags: TfProjectFlags) => (await import("./commands/tf.js")).tfDriftStatusCommand(flags));

const slo = program
  .command("slo")
  .description("Service level objectives: error budgets and burn-rate alerts");
const sloFiles = "SLO files: Sloth prometheus/v1, OpenSLO v1 or Slipway's slos: (told apart by content)";
const slothPeriod = () =>
  new Option("--sloth-period <period>", "period of Sloth specs, which have none: 30d or 28d");
slo
  .command("generate")
  .description("Prometheus recording and multi-window burn-rate alerting rules, compatible with Sloth's")
  .argument("<files...>", sloFiles)
  .option("-o, --output <file>", "write the rules to a file instead of standard output")
  .addOption(slothPeriod())
  .action(async (files: string[], flags: { output?: string; slothPeriod?: string }) =>
    (await import("./commands/slo.js")).sloGenerateCommand(files, flags),
  );
slo
  .command("dashboard")
  .description("Grafana dashboards (one per service) over the generated recording rules")
  .argument("<files...>", sloFiles)
  .option("-o, --output <dir>", "write one <uid>.json per service into this directory")
  .addOption(slothPeriod())
  .action(async (files: string[], flags: { output?: string; slothPeriod?: string }) =>
    (await import("./commands/slo.js")).sloDashboardCommand(files, flags),
  );
slo
  .command("status")
  .description(
    "Each SLO's SLI, error budget left, burn rate per window, time to exhaustion and alerts, from Prometheus",
  )
  .argument("<files...>", sloFiles)
  .option("--prometheus <url>", "the Prometheus that evaluates the rules", "http://127.0.0.1:9090")
  .option("--json", "print JSON")
  .addOption(slothPeriod())
  .action(async (files: string[], flags: { prometheus: string; json?: boolean; slothPeriod?: string }) =>
    (await import("./commands/slo.js")).sloStatusCommand(files, flags),
  );
slo
  .command("gate")
  .description(
    "Allow a deploy only while error budgets are above a threshold and no page alert fires (exit 1 when blocked)",
  )
  .argument("<files...>", sloFiles)
  .option("--prometheus <url>", "the Prometheus that evaluates the rules", "http://127.0.0.1:9090")
  .option(
    "--min-budget-remaining <fraction>",
    "block below this fraction of error budget left, 0 to 1",
    fraction,
  )
  .option("--no-block-on-page-alert", "do not block while a page alert fires")
  .option("--slo <id...>", "only these SLOs (sloth id or SLO name)")
  .option(
    "--override-reason <text>",
    "let a blocked deploy through; the reason is printed into the run's log",
  )
  .option("--json", "print JSON")
  .addOption(slothPeriod())
  .action(async (files: string[], flags: SloGateFlags) =>
    (await import("./commands/slo.js")).sloGateCommand(files, flags),
  );
slo
  .command("alertmanager")
  .description("Alertmanager route and receivers for the SLOs' page and ticket alerts")
  .argument("<files...>", sloFiles)
  .option("-o, --output <file>", "write to a file instead of standard output")
  .option("--full", "a complete alertmanager.yml instead of a snippet to merge")
  .option("--page-receiver <name>", "receiver for page alerts (default slo-page)")
  .option("--ticket-receiver <name>", "receiver for ticket alerts (default slo-ticket)")
  .addOption(slothPeriod())
  .action(
    async (
      files: string[],
      flags: {
        output?: string;
        full?: boolean;
        pageReceiver?: string;
        ticketReceiver?: string;
        slothPeriod?: string;
      },
    ) => (await import("./commands/slo.js")).sloAlertmanagerCommand(files, flags),
  );

const tenants = program
  .command("tenants")
  .description(
    "Tenancy as code: namespaces, members, quotas, limits, network isolation and autoscaling defaults",
  );
const tenantsOptions = (command: Command) =>
  command
    .argument("<file>", "the tenants file (tenants: ...)")
    .option("--kubeconfig <file>", "the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "the kubeconfig context (default: its current context)")
    .option("--json", "print JSON");
tenantsOptions(
  tenants
    .command("apply")
    .description(
      "Create or update every tenant's objects; with --prune, delete those of tenants and rules removed",
    )
    .option("--dry-run", "ask the API server what would change, changing nothing")
    .option("--prune", "delete what an earlier apply made and the file no longer declares"),
).action(async (file: string, flags: TenantsApplyFlags) =>
  (await import("./commands/tenants.js")).tenantsApplyCommand(file, flags),
);
tenantsOptions(
  tenants
    .command("diff")
    .description("Show where the cluster differs from the file, field by field (exit 1 when it does)"),
).action(async (file: string, flags: TenantsFlags) =>
  (await import("./commands/tenants.js")).tenantsDiffCommand(file, flags),
);

const k8s = program
  .command("k8s")
  .description(
    "Kubernetes manifests as desired state: server-side apply with pruning, drift, health, self-heal",
  );
const k8sOptions = (command: Command) =>
  command
    .argument("<path>", "a YAML file, a directory of *.yaml files, a Kustomize directory or a Helm chart")
    .requiredOption(
      "--inventory <name>",
      "the set these objects form (recorded in the ConfigMap slipway-inventory-NAME; prune compares with it)",
    )
    .option(
      "-n, --namespace <ns>",
      "for objects that name none, and for the inventory (default: the context's, else default)",
    )
    .option("--kubeconfig <file>", "the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "the kubeconfig context (default: its current one)")
    .option(
      "-f, --values <file>",
      "a Helm chart's values file (repeatable, as helm template -f)",
      (file: string, files: string[] = []) => [...files, file],
    )
    .option("--release <name>", "the Helm release name a chart is rendered as (default: the chart's name)")
    .option("--json", "print JSON");
k8sOptions(
  k8s
    .command("apply")
    .description("Server-side apply the manifests (validated by a dry run first), then record the inventory")
    .option("--force", "take fields other field managers changed (server-side apply's force)")
    .option("--prune", "delete objects of the previous apply no longer in the manifests")
    .option("--dry-run", "ask the API server what would change; change nothing"),
).action(async (path: string, flags: K8sApplyFlags) =>
  (await import("./commands/k8s.js")).k8sApplyCommand(path, flags),
);
k8sOptions(
  k8s
    .command("diff")
    .description(
      "Print the objects that are out of sync, field by field (exit 1 when any is, as kubectl diff)",
    ),
).action(async (path: string, flags: K8sFlags) =>
  (await import("./commands/k8s.js")).k8sDiffCommand(path, flags),
);
k8sOptions(
  k8s
    .command("status")
    .description("Sync status and health of each object, and overall")
    .option("--self-heal", "re-apply (forcing) the objects that drifted or are missing")
    .option("--watch", "repeat until interrupted")
    .option("--interval <duration>", "time between rounds with --watch, e.g. 30s or 5m", "30s"),
).action(async (path: string, flags: K8sStatusFlags) =>
  (await import("./commands/k8s.js")).k8sStatusCommand(path, flags),
);

program
  .command("check")
  .description(
    "Review Terraform, CloudFormation, Kubernetes, Dockerfiles, CI workflows and secrets for security risks",
  )
  .argument("[paths...]", "files or directories to scan (default: .; none with --kubeconfig)")
  .addOption(new Option("--format <format>", "report format").choices(CHECK_FORMATS).default("text"))
  .option(
    "-o, --output <file>",
    "write the report to a file (the text summary still goes to standard output)",
  )
  .addOption(
    new Option("--fail-on <severity>", "exit 1 when a finding is at or above this severity")
      .choices(FAIL_ON)
      .default("low"),
  )
  .addOption(new Option("--framework <name...>", "only these frameworks").choices(FRAMEWORKS))
  .option("--rule <id...>", "only these rules")
  .option("--skip-rule <id...>", "never these rules")
  .option("--exclude <glob...>", "files not to scan, e.g. 'test/fixtures/**'")
  .option("--var-file <file...>", "Terraform variable files, as with terraform -var-file")
  .option(
    "--baseline <file>",
    "accepted findings that do not fail the check (default: .slipway/check-baseline.json)",
  )
  .option("--write-baseline [file]", "record every current finding as accepted, and exit 0")
  .option("--rules-dir <dir...>", "custom rules in YAML or TypeScript (default: .slipway/rules)")
  .option("--color", "colour the text report")
  .option("--no-color", "never colour the text report")
  .option("--list-rules", "list the rules and exit")
  .option("--kubeconfig <file>", "check the live objects of this kubeconfig's cluster instead of files")
  .option("--context <name>", "with --kubeconfig: its context to use (default: its current-context)")
  .option("--namespace <ns...>", "with --kubeconfig: only these namespaces (default: all)")
  .action(async (paths: string[], flags: CheckFlags) =>
    (await import("./commands/check.js")).checkCommand(paths, flags),
  );

program
  .command("schema")
  .description("Print the JSON Schema of slipway.yaml")
  .action(async () => (await import("./commands/schema.js")).schemaCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed the message; help and version are not failures.
    return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  }
  if (error instanceof ConfigError) {
    const sources = new Map<string, string>();
    for (const d of error.diagnostics) {
      if (sources.has(d.position.file)) continue;
      try {
        sources.set(d.position.file, readFileSync(d.position.file, "utf8"));
      } catch {
        // The frame is a convenience; the position alone still says where.
      }
    }
    process.stderr.write(`${formatDiagnostics(error.diagnostics, sources)}\n`);
    return EXIT.invalid;
  }
  if (error instanceof SlipwayError) {
    process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
    return exitCodeForError(error);
  }
  process.stderr.write(
    `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.environment;
}
