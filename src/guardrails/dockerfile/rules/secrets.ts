import type { Reporter } from "../../model.js";
import type { DockerfileModel } from "../model.js";
import { keyValues, wordSpan } from "../model.js";
import { splitWords, type Instruction } from "../parser.js";
import { isLiteralSecretValue, isSecretName, redact, tokenFormat } from "../secret-names.js";
import { positionals } from "../shell.js";
import { commandsOf, dockerfileRule, hadolint, reportCommand, REFERENCE } from "./define.js";

function checkPairs(model: DockerfileModel, instruction: Instruction, stage: string, report: Reporter): void {
  const pairs =
    instruction.keyword === "ENV"
      ? keyValues(instruction)
      : splitWords(instruction.text.text, instruction.argsStart).map((word) => {
          const equals = word.value.indexOf("=");
          return {
            key: equals < 0 ? word.value : word.value.slice(0, equals),
            value: equals < 0 ? "" : word.value.slice(equals + 1),
            word,
          };
        });
  for (const pair of pairs) {
    const format = tokenFormat(pair.value);
    if (!format && !(isSecretName(pair.key) && isLiteralSecretValue(pair.value))) continue;
    report({
      message: `${instruction.keyword} ${pair.key}=${redact(pair.value)} puts ${format ?? "a secret"} into the image, where \`docker history\` and \`docker inspect\` show it`,
      span: wordSpan(model.parsed, instruction, pair.word),
      resource: stage,
    });
  }
}

export const secretInEnv = dockerfileRule({
  id: "DOCKER-006",
  title: "A secret is written into ENV or ARG",
  severity: "high",
  rationale:
    "ENV values are stored in the image configuration and ARG values in its build history: anyone who can pull the image reads them, for as long as the image exists, even if a later instruction unsets them.",
  remediation:
    "Pass secrets at build time with `RUN --mount=type=secret,id=npm_token` (and `docker build --secret`), and at run time through the orchestrator's secrets; never as ENV or ARG values.",
  references: [
    REFERENCE + "#run---mounttypesecret",
    "https://docs.docker.com/build/building/secrets/",
    hadolint("DL3044"),
    "CIS Docker Benchmark 4.10",
  ],
  check(model, report) {
    for (const instruction of model.parsed.instructions.filter(
      (i) => i.keyword === "ARG" && i.span.line < (model.stages[0]?.from.span.line ?? Infinity),
    ))
      checkPairs(model, instruction, "global", report);
    for (const stage of model.stages)
      for (const instruction of stage.instructions)
        if (instruction.keyword === "ENV" || instruction.keyword === "ARG")
          checkPairs(model, instruction, stage.label, report);
  },
});

const GIT_NETWORK_COMMANDS = new Set([
  "clone",
  "fetch",
  "pull",
  "push",
  "ls-remote",
  "submodule",
  "remote",
  "config",
]);
/** A URL with credentials in its user part: `https://user:pass@`, `https://${TOKEN}@`, `https://ghp_…@`. */
const CREDENTIAL_URL = /[a-z][a-z0-9+.-]*:\/\/([^/@\s]+)@/i;

function hasCredentials(userinfo: string): boolean {
  return (
    userinfo.includes(":") ||
    userinfo.includes("$") ||
    userinfo.length >= 20 ||
    tokenFormat(userinfo) !== undefined
  );
}

export const gitCredentials = dockerfileRule({
  id: "DOCKER-026",
  title: "git uses a URL with credentials",
  severity: "high",
  rationale:
    "The RUN command line, with the token in it, is stored in the image history (build arguments are expanded there too), and git may also write the URL into `.git/config` inside the layer.",
  remediation:
    "Mount the credential for that one RUN: `RUN --mount=type=secret,id=gh_token git clone https://$(cat /run/secrets/gh_token)@…` or use `--mount=type=ssh` with an SSH URL.",
  references: [
    "https://docs.docker.com/build/building/secrets/",
    REFERENCE + "#run---mounttypessh",
    "CIS Docker Benchmark 4.10",
  ],
  check(model, report) {
    for (const located of commandsOf(model.stages)) {
      const call = located.call;
      if (call?.program !== "git") continue;
      const sub = positionals(call.args)[0]?.value ?? "";
      if (!GIT_NETWORK_COMMANDS.has(sub)) continue;
      for (const arg of call.args) {
        const userinfo = CREDENTIAL_URL.exec(arg.value)?.[1];
        if (!userinfo || !hasCredentials(userinfo)) continue;
        // A secret mount read in a substitution never reaches the history.
        if (arg.substitutions.length > 0 && arg.value.includes("/run/secrets/")) continue;
        reportCommand(
          model,
          located,
          report,
          `git ${sub} uses a URL with credentials in it (${redact(userinfo)}@…)`,
          arg,
        );
      }
    }
  },
});
