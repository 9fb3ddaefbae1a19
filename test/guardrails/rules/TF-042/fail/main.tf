provider "aws" {
  region = "eu-west-1"
}

resource "aws_iam_user" "ci" {
  name = "ci-deployer"
}

resource "aws_iam_user_policy_attachment" "ci" {
  user       = aws_iam_user.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"
}
