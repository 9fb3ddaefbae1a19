provider "aws" {
  region = "eu-west-1"
}

resource "aws_sns_topic" "orders" {
  name = "order-events"
}
