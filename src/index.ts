// Library entry: the pure planning functions, for tools that embed the plugin's decisions.
export { makePlan, type DebugPlan, type PlanInput } from './plan/plan.js';
export { decideIdentity, type Identity, type IdentitySource } from './plan/identity.js';
export { decideSecurity, type ProfileName, type PsaLevel } from './plan/security.js';
export { buildDebugContainer, DEFAULT_IMAGE } from './plan/container.js';
export { ExitCode } from './errors.js';
export { main } from './cli/main.js';
