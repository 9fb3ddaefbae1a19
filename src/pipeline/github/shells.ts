/**
 * GitHub's `shell:` keywords as the executor's shells
 * (https://docs.github.com/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell).
 * The executor's `bash` is `bash --noprofile --norc -eo pipefail`, exactly GitHub's explicit
 * `shell: bash`; GitHub's default (no shell anywhere) is `bash -e {0}`, without pipefail.
 */
export type ShellChoice = { shell: string } | { error: string; hint: string };

export function githubShell(shell: string | undefined, script: string): ShellChoice {
  switch (shell) {
    case undefined:
      // Without a pipe, pipefail changes nothing, and the executor's bash can start a plain
      // command without a shell at all; with one, keep GitHub's exact default.
      return { shell: script.includes("|") || script.includes("${{") ? "bash -e {0}" : "bash" };
    case "bash":
      return { shell: "bash" };
    case "sh":
      return { shell: "sh" };
    case "python":
      return { shell: "python {0}" };
    case "pwsh":
      return { shell: "pwsh" };
    case "powershell":
    case "cmd":
      return {
        error: `shell ${shell} exists on Windows runners only, and steps run on this machine`,
        hint: "use bash, sh, pwsh or python",
      };
    default:
      if (!shell.includes("{0}")) {
        return {
          error: `a custom shell must contain {0}, where the script file goes`,
          hint: `for example \`shell: ${shell} {0}\``,
        };
      }
      return { shell };
  }
}
