provider "aws" {
  region = "eu-west-1"
}

resource "aws_kms_key" "logs" {
  description         = "CloudWatch Logs"
  enable_key_rotation = true
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/ecs/api"
  retention_in_days = 365
}
