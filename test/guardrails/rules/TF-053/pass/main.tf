provider "aws" {
  region = "eu-west-1"
}

resource "aws_lb" "web" {
  name                       = "web"
  load_balancer_type         = "application"
  subnets                    = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
  drop_invalid_header_fields = true

  access_logs {
    bucket  = "acme-lb-access-logs"
    prefix  = "web"
    enabled = true
  }
}
