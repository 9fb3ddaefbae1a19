import { statSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors/index.js";
import { resolveTerraformBinary } from "./binary.js";
import { TerraformFailure } from "./errors.js";
import { runTerraform } from "./process.js";
import type { TerraformCommandResult, TerraformOutput } from "./process.js";

/** What every plan, apply and drift step is given: where it runs and how terraform is found. */
export interface TerraformStepOptions {
  /** The Terraform configuration directory, relative to `cwd`. */
  dir: string;
  /** Extra arguments for `terraform init`, such as `-backend-config=prod.hcl`. */
  initArgs?: readonly string[] | undefined;
  /** The terraform executable (see resolveTerraformBinary). */
  binary?: string | undefined;
  /** The directory relative paths are read from: the step's working directory. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Receives terraform's human output as it runs. */
  output?: TerraformOutput | undefined;
}

/** One Terraform working directory and the terraform that runs in it. */
export class TerraformDir {
  readonly binary: string;
  readonly path: string;
  private env: NodeJS.ProcessEnv;

  constructor(private readonly options: TerraformStepOptions) {
    this.binary = resolveTerraformBinary(options.binary, options.env);
    this.path = path.resolve(options.cwd, options.dir);
    if (!isDirectory(this.path))
      throw new UsageError(`the Terraform directory ${options.dir} does not exist`, {
        hint: "`dir:` is relative to the step's working directory (the workspace by default)",
      });
    this.env = {
      ...options.env,
      // Terraform's advice for automation: no "run terraform apply now" hints, never a prompt.
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
    };
  }

  /**
   * Steps that name their workspaces select them with `terraform workspace select`, which
   * refuses to run while TF_WORKSPACE overrides the selection; the step's choice wins.
   */
  ownWorkspaceSelection(): void {
    const { TF_WORKSPACE: _ignored, ...rest } = this.env;
    this.env = rest;
  }

  /**
   * A file given relative to the step's working directory, as terraform (which runs in the
   * configuration directory) must be told it; relative, so the log shows short paths.
   */
  fileArgument(file: string): string {
    return path.relative(this.path, path.resolve(this.options.cwd, file)) || ".";
  }

  async init(): Promise<void> {
    await this.run(["init", "-input=false", "-no-color", ...(this.options.initArgs ?? [])], "init");
  }

  async selectWorkspace(name: string, create: boolean): Promise<void> {
    await this.run(
      ["workspace", "select", ...(create ? ["-or-create=true"] : []), "-no-color", name],
      `workspace select ${name}`,
    );
  }

  async currentWorkspace(): Promise<string> {
    const result = await this.run(["workspace", "show", "-no-color"], "workspace show", { quiet: true });
    return result.stdout.trim() || "default";
  }

  /** `terraform show -json FILE`, captured (never streamed: it is the whole plan, values included). */
  async showJson(planFile: string): Promise<string> {
    return (await this.run(["show", "-json", "-no-color", planFile], "show -json", { quiet: true })).stdout;
  }

  /**
   * Runs terraform in the directory; a status outside `accept` (default: 0) is a TerraformFailure
   * naming the command, unless `accept` lists it.
   */
  async run(
    args: readonly string[],
    what: string,
    options: { quiet?: boolean; accept?: readonly number[] } = {},
  ): Promise<TerraformCommandResult> {
    const result = await runTerraform({
      binary: this.binary,
      args,
      cwd: this.path,
      env: this.env,
      output: options.quiet ? undefined : this.options.output,
    });
    if (!(options.accept ?? [0]).includes(result.status)) {
      if (options.quiet && result.stderr !== "") this.options.output?.write("stderr", result.stderr);
      throw new TerraformFailure(`terraform ${what} failed (exit ${result.status}) in ${this.options.dir}`);
    }
    return result;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
