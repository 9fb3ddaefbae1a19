export { parseTenants, readTenantsFile } from "./load.js";
export type {
  ContainerLimits,
  Member,
  NetworkRule,
  ScalingDefaults,
  Tenant,
  TenantsConfig,
} from "./model.js";
export { PRESET_RULES, ROLE_PRESETS } from "./presets.js";
export type { RolePreset } from "./presets.js";
export {
  bindingName,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  roleName,
  SCALING_ANNOTATIONS,
  scalingObjects,
  TENANT_LABEL,
  tenantObjects,
} from "./generate.js";
export type { LiveWorkloads } from "./generate.js";
export { tenantsFileSchema } from "./schema.js";
export { applyTenants, desiredObjects, TENANTS_TARGET, tenantsStatus } from "./apply.js";
export type { ApplyTenantsOptions } from "./apply.js";
