provider "aws" {
  region = "eu-west-1"
}

locals {
  metadata_tokens = "required"
}

resource "aws_instance" "worker" {
  ami           = "ami-0c1c30571d2dae5c9"
  instance_type = "t3.medium"
  subnet_id     = "subnet-0a1b2c3d"

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = local.metadata_tokens
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted = true
  }
}
