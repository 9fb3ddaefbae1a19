import type { K8sRule } from "./common.js";
import { hostAccessRules } from "./host-access.js";
import { imageRules } from "./images.js";
import { namespaceRules } from "./namespaces.js";
import { networkRules } from "./network.js";
import { podSecurityRules } from "./pod-security.js";
import { rbacRules } from "./rbac.js";
import { resourceRules } from "./resources.js";
import { secretRules } from "./secrets.js";
import { serviceAccountRules } from "./service-accounts.js";

/** Every built-in Kubernetes rule, in id order. */
export const KUBERNETES_RULES: readonly K8sRule[] = [
  ...podSecurityRules,
  ...hostAccessRules,
  ...imageRules,
  ...resourceRules,
  ...serviceAccountRules,
  ...secretRules,
  ...networkRules,
  ...rbacRules,
  ...namespaceRules,
].sort((a, b) => a.id.localeCompare(b.id));
