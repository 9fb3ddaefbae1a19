# http_tokens is only known once the variable is given: nothing is reported.
variable "batch_metadata_tokens" {
  type = string
}

resource "aws_launch_template" "batch" {
  name_prefix   = "batch-"
  image_id      = "ami-0c1c30571d2dae5c9"
  instance_type = "c6i.large"

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = var.batch_metadata_tokens
  }
}
