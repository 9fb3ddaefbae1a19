provider "aws" {
  region = "eu-west-1"
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 200
  type              = "gp3"
  encrypted         = true
  kms_key_id        = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

  tags = {
    Name = "postgres-data"
  }
}
