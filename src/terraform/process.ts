import { spawn } from "node:child_process";
import { EnvironmentError } from "../errors/index.js";

/** Where terraform's own output goes while it runs: the step's log, through the CLI. */
export interface TerraformOutput {
  write(stream: "stdout" | "stderr", text: string): void;
}

export interface TerraformCommand {
  binary: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Stream the output here (and still capture it); without it the output is only captured. */
  output?: TerraformOutput | undefined;
}

export interface TerraformCommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one terraform command to its end. A signal that kills it counts as a failure (status 1). */
export function runTerraform(command: TerraformCommand): Promise<TerraformCommandResult> {
  const { binary, args, cwd, env, output } = command;
  output?.write("stdout", `$ ${displayCommand(binary, args)}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      output?.write("stdout", chunk.toString());
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr.push(chunk);
      output?.write("stderr", chunk.toString());
    });
    child.once("error", (error) =>
      reject(
        new EnvironmentError(`cannot run ${binary}: ${error.message}`, {
          cause: error,
          hint: "check the terraform binary (the step's `binary:` or SLIPWAY_TERRAFORM)",
        }),
      ),
    );
    child.once("close", (status) =>
      resolve({
        status: status ?? 1,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      }),
    );
  });
}

function displayCommand(binary: string, args: readonly string[]): string {
  const name = binary.slice(binary.lastIndexOf("/") + 1);
  return [name, ...args]
    .map((word) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : JSON.stringify(word)))
    .join(" ");
}
