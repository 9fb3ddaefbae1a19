import type { GitlabRule } from "./define.js";
import { floatingImage, imageWithoutDigest } from "./images.js";
import { insecureRemoteInclude, remoteIncludeWithoutIntegrity } from "./includes.js";
import { commitDataInjection, remoteScript } from "./injection.js";
import {
  dindWithoutTls,
  forkMergeRequestOnPrivilegedRunner,
  productionDeployWithoutResourceGroup,
  publicArtifactsAlways,
  securityScanAllowedToFail,
} from "./jobs.js";
import { debugTrace, literalSecret } from "./variables.js";

export const GITLAB_RULES: readonly GitlabRule[] = [
  commitDataInjection,
  remoteScript,
  floatingImage,
  imageWithoutDigest,
  literalSecret,
  securityScanAllowedToFail,
  dindWithoutTls,
  insecureRemoteInclude,
  remoteIncludeWithoutIntegrity,
  publicArtifactsAlways,
  debugTrace,
  forkMergeRequestOnPrivilegedRunner,
  productionDeployWithoutResourceGroup,
];
