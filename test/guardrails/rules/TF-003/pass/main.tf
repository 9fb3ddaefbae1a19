provider "aws" {
  region = "eu-west-1"
}

resource "aws_kms_key" "data" {
  description         = "Key for the data lake bucket"
  enable_key_rotation = true
}

resource "aws_s3_bucket" "data" {
  bucket = "acme-data-lake"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
    bucket_key_enabled = true
  }
}
