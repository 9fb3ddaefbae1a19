provider "aws" {
  region = "eu-west-1"
}

resource "aws_lb" "api" {
  name               = "api"
  internal           = false
  load_balancer_type = "application"
  security_groups    = ["sg-0123456789abcdef0"]
  subnets            = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
}
