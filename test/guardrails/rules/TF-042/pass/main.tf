provider "aws" {
  region = "eu-west-1"
}

resource "aws_iam_user" "ci" {
  name = "ci-deployer"
}

resource "aws_iam_group" "deployers" {
  name = "deployers"
}

resource "aws_iam_group_policy_attachment" "deployers" {
  group      = aws_iam_group.deployers.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"
}

resource "aws_iam_user_group_membership" "ci" {
  user   = aws_iam_user.ci.name
  groups = [aws_iam_group.deployers.name]
}
