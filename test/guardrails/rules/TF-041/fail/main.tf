provider "aws" {
  region = "eu-west-1"
}

data "aws_iam_policy_document" "exporter" {
  statement {
    sid       = "ExportReports"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "exporter" {
  name   = "exporter"
  role   = "report-exporter"
  policy = data.aws_iam_policy_document.exporter.json
}
