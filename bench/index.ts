import { benchCheck } from "./check.js";
import { benchDelivery } from "./delivery.js";
import { benchEngine } from "./engine.js";
import { benchExample } from "./example.js";
import { benchExecutor } from "./executor.js";
import { benchGithub } from "./github.js";
import { benchKubernetes } from "./kubernetes.js";
import { benchServer } from "./server.js";
import { benchSlo } from "./slo.js";
import { benchSloth } from "./sloth.js";
import { benchTerraformState } from "./terraform-state.js";
import { benchWeb } from "./web.js";

/**
 * `npm run bench [case...]`: each case prints one JSON line per measurement with its ratio
 * against a baseline measured side by side in the same run. Results go to docs/benchmarks.md.
 */
const cases: Record<string, () => void | Promise<void>> = {
  engine: () => benchEngine(),
  executor: () => benchExecutor(),
  example: () => benchExample(),
  slo: () => benchSlo(),
  github: () => benchGithub(),
  // Starts a throw-away PostgreSQL from Debian's binaries for the second half.
  server: () => benchServer(),
  // Terraform's http backend: state GET/POST and lock round trips, on SQLite and a throw-away PostgreSQL.
  tfstate: () => benchTerraformState(),
  // The weighted proxy against direct requests, deployments under load, a bad canary against Debian's Prometheus.
  delivery: () => benchDelivery(),
  // Installs checkov from PyPI on first use, then scans one generated repository with both.
  check: () => benchCheck(),
  // Builds Sloth from the Go module proxy on first use (a few minutes), then compares side by side.
  sloth: () => benchSloth(),
  // The run page's graph and log in Debian's Chromium, built by Vite from web/bench.
  web: () => benchWeb(),
  // The Kubernetes target against kubectl, on the test control plane (scripts/k8s-testbed).
  kubernetes: () => benchKubernetes(),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(cases)) {
  const run = cases[name];
  if (!run) {
    process.stderr.write(`unknown benchmark "${name}"; cases: ${Object.keys(cases).join(", ")}\n`);
    process.exit(2);
  }
  await run();
}
