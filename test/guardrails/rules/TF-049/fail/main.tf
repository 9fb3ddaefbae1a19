provider "aws" {
  region = "eu-west-1"
}

resource "aws_cloudtrail" "main" {
  name                          = "organization-trail"
  s3_bucket_name                = "acme-cloudtrail-logs"
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_log_file_validation    = true
}
