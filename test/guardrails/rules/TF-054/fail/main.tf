provider "aws" {
  region = "eu-west-1"
}

resource "aws_kms_key" "app" {
  description             = "Application data"
  deletion_window_in_days = 30
}
