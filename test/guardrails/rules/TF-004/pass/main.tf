provider "aws" {
  region = "eu-west-1"
}

variable "bucket_names" {
  type    = list(string)
  default = ["acme-reports", "acme-exports"]
}

resource "aws_s3_bucket" "this" {
  count  = length(var.bucket_names)
  bucket = var.bucket_names[count.index]
}

resource "aws_s3_bucket_versioning" "this" {
  count  = length(var.bucket_names)
  bucket = aws_s3_bucket.this[count.index].id

  versioning_configuration {
    status = "Enabled"
  }
}
