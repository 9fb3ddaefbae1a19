import { SlipwayError } from "../../errors/index.js";

/** An instance did not become ready; the message ends with the last lines of its log. */
export class InstanceNotReadyError extends SlipwayError {
  constructor(
    readonly instanceId: string,
    readonly reason: string,
    readonly logTail: string,
    readonly logFile: string,
  ) {
    const tail = logTail === "" ? `(${logFile} is empty)` : logTail;
    super(
      "INSTANCE_NOT_READY",
      `instance ${instanceId} is not ready: ${reason}\nlast lines of ${logFile}:\n${tail}`,
      {
        hint: `the whole output is in ${logFile}`,
      },
    );
  }
}
