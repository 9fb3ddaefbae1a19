import { SlipwayError } from "../errors/index.js";
import type { SlipwayErrorOptions } from "../errors/index.js";

/**
 * Terraform ran and said no (a failed plan, a refused or stale apply), or a step refused to go
 * on. Unlike an EnvironmentError it is the step's verdict: the CLI exits 1, as a failed test does.
 */
export class TerraformFailure extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super("TERRAFORM", message, options);
  }
}
