provider "aws" {
  region = "eu-west-1"
}

resource "aws_instance" "api" {
  ami                         = "ami-0c1c30571d2dae5c9"
  instance_type               = "t3.small"
  subnet_id                   = "subnet-0a1b2c3d"
  associate_public_ip_address = true
}
