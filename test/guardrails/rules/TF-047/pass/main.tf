provider "aws" {
  region = "eu-west-1"
}

resource "aws_cloudtrail" "main" {
  name                          = "organization-trail"
  s3_bucket_name                = "acme-cloudtrail-logs"
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  kms_key_id                    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
