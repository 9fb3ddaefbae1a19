provider "aws" {
  region = "eu-west-1"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::210987654321:root"]
    }
  }
}

resource "aws_iam_role" "partner_access" {
  name               = "partner-access"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}
