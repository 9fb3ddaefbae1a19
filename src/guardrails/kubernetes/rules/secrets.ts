/** Credentials handed to containers through environment variables. */
import { at, items, pairOf, str } from "../yaml-tree.js";
import { containerReport, defineRule, forEachContainer, type K8sRule } from "./common.js";

/** Names that hold credentials: a whole word of the variable name, e.g. DB_PASSWORD, API_TOKEN. */
const SECRET_NAME =
  /(?:^|_)(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|CREDENTIALS?)(?:$|_)/i;
/** ...unless the name says the value is about the secret rather than the secret itself. */
const METADATA_SUFFIX =
  /_(?:FILE|PATH|DIR|NAME|REF|ENABLED|URL|HOST|PORT|TTL|EXPIRY|EXPIRES|LENGTH|TIMEOUT|HEADER|TYPE|ID|KEY_ID|ENDPOINT|ALGORITHM|MODE)$/i;
/** Values that are not literal credentials: references, placeholders, flags. */
const NOT_A_SECRET = /^(?:\$\(|\$\{|\{\{|<|true$|false$|yes$|no$|none$|null$|changeme$)/i;

const literalSecret = defineRule(
  {
    id: "K8S-025",
    title: "Secret value written literally in an environment variable",
    severity: "high",
    rationale:
      "A credential in the manifest is readable by anyone with access to the repository, its history and every tool that renders it, and by anyone who can `get` the workload in the cluster.",
    remediation:
      "Store the value in a Secret (or an external secret manager) and reference it with `valueFrom.secretKeyRef`, or better mount it as a file; rotate the exposed credential.",
    references: [
      "https://kubernetes.io/docs/concepts/configuration/secret/",
      "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    ],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      for (const variable of items(at(container.node, "env"))) {
        const name = str(at(variable, "name"));
        const value = pairOf(variable, "value");
        const literal = str(value?.value);
        if (!name || !value || !literal || !SECRET_NAME.test(name) || METADATA_SUFFIX.test(name)) continue;
        if (literal.trim().length < 4 || NOT_A_SECRET.test(literal.trim())) continue;
        report(
          containerReport(
            workload,
            container,
            `environment variable ${name} holds a literal secret value`,
            value.span,
          ),
        );
      }
    }),
);

const secretEnv = defineRule(
  {
    id: "K8S-026",
    title: "Secret exposed to a container as an environment variable",
    severity: "low",
    rationale:
      "Environment variables leak: they are inherited by child processes, dumped in crash reports and debug endpoints, and readable in /proc. A Secret mounted as a file can be rotated without a restart and is not inherited.",
    remediation: "Mount the Secret as a volume and have the application read the file.",
    references: [
      "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
      "CIS Kubernetes Benchmark 5.4.1",
    ],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      for (const variable of items(at(container.node, "env"))) {
        const ref = pairOf(at(variable, "valueFrom"), "secretKeyRef");
        if (!ref) continue;
        const name = str(at(variable, "name")) ?? "(unnamed)";
        const secret = str(at(ref.value, "name")) ?? "?";
        report(
          containerReport(
            workload,
            container,
            `reads Secret ${secret} into environment variable ${name}`,
            ref.keySpan,
          ),
        );
      }
      for (const source of items(at(container.node, "envFrom"))) {
        const ref = pairOf(source, "secretRef");
        if (!ref) continue;
        const secret = str(at(ref.value, "name")) ?? "?";
        report(
          containerReport(
            workload,
            container,
            `loads every key of Secret ${secret} into its environment`,
            ref.keySpan,
          ),
        );
      }
    }),
);

export const secretRules: readonly K8sRule[] = [literalSecret, secretEnv];
