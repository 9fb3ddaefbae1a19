/** Lambda function URLs and EC2 instance metadata. */
import { child, isUnknown, prop, resourcesOfType, scalarText } from "../model.js";
import { defineRule, from, missingAt, resourceReport, typeDocs, type CfnRule } from "./common.js";

const functionUrl = defineRule(
  {
    id: "CFN-014",
    title: "Lambda function URL has no authentication",
    severity: "high",
    rationale:
      "A function URL with AuthType NONE can be invoked by anyone on the internet who finds it; the function's own code is the only access control and every call is billed to you.",
    remediation:
      "Set AuthType: AWS_IAM and sign requests (or put API Gateway or CloudFront with authentication in front).",
    references: [
      typeDocs("AWS::Lambda::Url"),
      "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
      "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-functionurlconfig.html",
    ],
  },
  (model, report) => {
    const urls = [
      ...resourcesOfType(model, "AWS::Lambda::Url").map((resource) => ({ resource, path: "AuthType" })),
      // SAM functions declare their URL inline.
      ...resourcesOfType(model, "AWS::Serverless::Function").map((resource) => ({
        resource,
        path: "FunctionUrlConfig.AuthType",
      })),
    ];
    for (const { resource, path } of urls) {
      const auth = prop(resource, path);
      if (auth && scalarText(auth.value) === "NONE")
        report(
          resourceReport(
            resource,
            "sets AuthType: NONE, so anyone can invoke the function",
            auth.span,
            from(auth),
          ),
        );
    }
  },
);

const imdsv1 = defineRule(
  {
    id: "CFN-016",
    title: "Launch template allows IMDSv1",
    severity: "medium",
    rationale:
      "IMDSv1 answers any HTTP GET from the instance, so a server-side request forgery in the application leaks the instance role's credentials; IMDSv2 requires a session token such requests cannot obtain.",
    remediation:
      "Set MetadataOptions: { HttpTokens: required } (and HttpPutResponseHopLimit: 1 unless containers need 2).",
    references: [
      typeDocs("AWS::EC2::LaunchTemplate"),
      "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html",
      "CIS AWS Foundations 5.6",
    ],
  },
  (model, report) => {
    const targets = [
      ...resourcesOfType(model, "AWS::EC2::LaunchTemplate").map((r) => ({
        resource: r,
        base: "LaunchTemplateData",
      })),
      ...resourcesOfType(model, "AWS::AutoScaling::LaunchConfiguration").map((r) => ({
        resource: r,
        base: "",
      })),
    ];
    for (const { resource, base } of targets) {
      const data = base
        ? prop(resource, base)
        : resource.properties
          ? { value: resource.properties, span: resource.keySpan }
          : undefined;
      if (!data || isUnknown(data.value)) continue;
      const options = child(data, "MetadataOptions");
      if (options && isUnknown(options.value)) continue;
      if (scalarText(options && child(options, "HttpEndpoint")?.value) === "disabled") continue;
      const tokens = options ? child(options, "HttpTokens") : undefined;
      if (tokens && isUnknown(tokens.value)) continue;
      const value = scalarText(tokens?.value);
      if (value === "required") continue;
      report(
        resourceReport(
          resource,
          tokens
            ? `sets HttpTokens to ${value ?? "?"}, which allows IMDSv1`
            : "does not require IMDSv2 (MetadataOptions.HttpTokens: required)",
          tokens?.span ?? missingAt(resource, options ?? (base ? data : undefined)),
          from(tokens),
        ),
      );
    }
  },
);

export const computeRules: readonly CfnRule[] = [functionUrl, imdsv1];
