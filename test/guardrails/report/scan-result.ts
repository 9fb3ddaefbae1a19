// One scan with something of everything a report shows: findings with a fix and with
// provenance, a secret, a suppressed and a baselined finding, an expired suppression, a file
// that cannot be parsed, and characters that need escaping.
import { rm } from "node:fs/promises";
import { baselineOf, scan, type ScanResult } from "../../../src/guardrails/index.js";
import { secretsScanner } from "../../../src/guardrails/secrets/index.js";
import { toyScanner, writeTree } from "../custom/toy-scanner.js";
import { checksummedToken, prng } from "../secrets/tokens.js";

export const TOKEN = checksummedToken(prng(99), "ghp_");

const FILES: Record<string, string> = {
  "k8s/web.yaml": `kind: Deployment
metadata:
  name: web
spec:
  image: ghcr.io/acme/web:latest
  tagFrom: "values/prod.yaml:3:7"
  privileged: true
`,
  "k8s/batch job.yaml": `# slipway:ignore K8S-901 the node agent needs host access
kind: DaemonSet
metadata:
  name: agent
spec:
  privileged: true
---
# slipway:ignore K8S-902 expires=2026-01-31 pinned after the <migration> & "cutover"
kind: CronJob
metadata:
  name: report
spec:
  image: ghcr.io/acme/report:latest
`,
  "k8s/legacy.yaml": `kind: Deployment
metadata:
  name: legacy
spec:
  image: ghcr.io/acme/legacy:latest
`,
  "k8s/broken.yaml": "kind: Deployment\nmetadata: {name: x\n",
  "k8s/odd.yaml": 'kind: Job\nmetadata:\n  name: "odd<&\\"\'>\\a]]>"\nspec:\n  privileged: true\n',
  "values/prod.yaml": "image:\n  repository: ghcr.io/acme/web\n  tag: latest\n",
  "deploy/.env": `\tGITHUB_TOKEN=${TOKEN}\n`,
};

export async function richScan(): Promise<{ result: ScanResult; cleanup: () => Promise<void> }> {
  const root = await writeTree(FILES);
  const options = { root, scanners: [toyScanner, secretsScanner], env: {}, today: "2026-06-01" } as const;
  const first = await scan(options);
  const legacy = first.findings.filter((f) => f.resource === "Deployment/legacy");
  const baseline = baselineOf(first, legacy);
  const result = await scan({ ...options, baseline });
  return { result, cleanup: () => rm(root, { recursive: true, force: true }) };
}
