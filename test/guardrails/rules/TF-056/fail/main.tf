provider "aws" {
  region = "eu-west-1"
}

resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  visibility_timeout_seconds = 120
  sqs_managed_sse_enabled    = false
}
