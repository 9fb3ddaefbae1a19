provider "aws" {
  region = "eu-west-1"
}

resource "aws_s3_bucket" "downloads" {
  bucket = "acme-public-downloads"
}

resource "aws_s3_bucket_ownership_controls" "downloads" {
  bucket = aws_s3_bucket.downloads.id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_acl" "downloads" {
  depends_on = [aws_s3_bucket_ownership_controls.downloads]

  bucket = aws_s3_bucket.downloads.id
  acl    = "private"
}
