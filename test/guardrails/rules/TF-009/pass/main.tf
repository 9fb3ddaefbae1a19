provider "aws" {
  region = "eu-west-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_security_group" "windows" {
  name   = "windows-jump"
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group_rule" "rdp" {
  type              = "ingress"
  description       = "RDP"
  security_group_id = aws_security_group.windows.id
  from_port         = 3389
  to_port           = 3389
  protocol          = "tcp"
  cidr_blocks       = ["198.51.100.10/32"]
}
