/** CloudTrail: the audit log everything else is investigated with. */
import { isUnknown, prop, resourcesOfType, truth } from "../model.js";
import { defineRule, from, missingAt, resourceReport, typeDocs, type CfnRule } from "./common.js";

const TRAIL = "AWS::CloudTrail::Trail";

function trailFlag(id: string, key: string, title: string, rationale: string, cis: string): CfnRule {
  return defineRule(
    {
      id,
      title,
      severity: "medium",
      rationale,
      remediation: `Set ${key}: true on the trail.`,
      references: [
        typeDocs(TRAIL),
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html",
        `CIS AWS Foundations ${cis}`,
      ],
    },
    (model, report) => {
      for (const trail of resourcesOfType(model, TRAIL)) {
        if (isUnknown(trail.properties)) continue;
        const flag = prop(trail, key);
        if (!flag) report(resourceReport(trail, `does not set ${key}: true`, missingAt(trail)));
        else if (truth(flag.value) === false)
          report(resourceReport(trail, `sets ${key} to false`, flag.span, from(flag)));
      }
    },
  );
}

const validation = trailFlag(
  "CFN-009",
  "EnableLogFileValidation",
  "CloudTrail log file validation is disabled",
  "Without log file validation nobody can prove the trail's files were not modified or deleted after delivery, which is exactly what an intruder covering their tracks does.",
  "3.2",
);

const multiRegion = trailFlag(
  "CFN-010",
  "IsMultiRegionTrail",
  "CloudTrail trail covers a single region",
  "A single-region trail does not record activity in other regions, where an attacker can create resources and use credentials unseen.",
  "3.1",
);

export const loggingRules: readonly CfnRule[] = [validation, multiRegion];
