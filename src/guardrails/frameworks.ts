import type { FrameworkScanner } from "./model.js";
import { cloudformationScanner } from "./cloudformation/index.js";
import { dockerfileScanner } from "./dockerfile/index.js";
import { githubActionsScanner } from "./github-actions/index.js";
import { gitlabCiScanner } from "./gitlab-ci/index.js";
import { kubernetesScanner } from "./kubernetes/index.js";
import { secretsScanner } from "./secrets/index.js";
import { terraformScanner } from "./terraform/index.js";

/** Every framework `slipway check` knows, in the order their findings are listed. */
export const FRAMEWORK_SCANNERS: readonly FrameworkScanner[] = [
  terraformScanner,
  cloudformationScanner,
  kubernetesScanner,
  dockerfileScanner,
  githubActionsScanner,
  gitlabCiScanner,
  secretsScanner,
];
