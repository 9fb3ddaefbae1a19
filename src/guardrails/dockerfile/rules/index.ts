import { baseImageWithoutDigest, floatingBaseImage, undefinedStage } from "./base-image.js";
import type { DockerfileRule } from "./define.js";
import {
  addLocalFiles,
  addRemoteWithoutChecksum,
  chownRoot,
  contextCopiedBeforeInstall,
  maintainer,
  relativeWorkdir,
} from "./instructions.js";
import { apkCache, aptListsKept, aptRecommends, aptUpgrade, npmInstall, pipCache } from "./packages.js";
import { exposesSsh, missingHealthcheck, repeatedCommand, runsAsRoot, shellFormCommand } from "./runtime.js";
import { gitCredentials, secretInEnv } from "./secrets.js";
import { cdInRun, chmod777, missingPipefail, remoteScript, sudo } from "./shell.js";

export const DOCKERFILE_RULES: readonly DockerfileRule[] = [
  floatingBaseImage,
  baseImageWithoutDigest,
  runsAsRoot,
  addLocalFiles,
  addRemoteWithoutChecksum,
  secretInEnv,
  remoteScript,
  aptRecommends,
  aptListsKept,
  aptUpgrade,
  apkCache,
  pipCache,
  sudo,
  chmod777,
  missingHealthcheck,
  exposesSsh,
  maintainer,
  relativeWorkdir,
  repeatedCommand,
  shellFormCommand,
  chownRoot,
  contextCopiedBeforeInstall,
  cdInRun,
  missingPipefail,
  npmInstall,
  gitCredentials,
  undefinedStage,
];
