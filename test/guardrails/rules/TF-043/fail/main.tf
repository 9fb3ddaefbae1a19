provider "aws" {
  region = "eu-west-1"
}

resource "aws_iam_user" "backup" {
  name = "offsite-backup"
}

resource "aws_iam_access_key" "backup" {
  user = aws_iam_user.backup.name
}
