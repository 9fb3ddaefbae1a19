provider "aws" {
  region = "eu-west-1"
}

resource "aws_s3_bucket" "access_logs" {
  bucket = "acme-s3-access-logs"
}

resource "aws_s3_bucket" "invoices" {
  bucket = "acme-invoices"
}

resource "aws_s3_bucket_logging" "invoices" {
  bucket        = aws_s3_bucket.invoices.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "invoices/"
}
