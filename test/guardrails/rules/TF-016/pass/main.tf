provider "aws" {
  region = "eu-west-1"
}

resource "aws_lb" "web" {
  name                       = "web"
  load_balancer_type         = "application"
  subnets                    = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
  drop_invalid_header_fields = true
}

resource "aws_lb_target_group" "web" {
  name     = "web"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = "vpc-0123456789abcdef0"
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
