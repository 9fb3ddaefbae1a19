export { loadGitlabPipeline } from "./load.js";
export type { GitlabLoadOptions, LoadedGitlabPipeline } from "./load.js";
export type { GitlabNotice } from "./compile.js";
export { gitlabJobName } from "./matrix.js";
export { JOB_KEYWORD_SUPPORT } from "./keywords.js";
export type { KeywordSupport } from "./keywords.js";
