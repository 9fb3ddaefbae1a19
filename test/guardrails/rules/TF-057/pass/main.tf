provider "aws" {
  region = "eu-west-1"
}

resource "aws_kms_key" "secrets" {
  description         = "Application secrets"
  enable_key_rotation = true
}

resource "aws_secretsmanager_secret" "db" {
  name       = "prod/app/db"
  kms_key_id = aws_kms_key.secrets.arn
}
