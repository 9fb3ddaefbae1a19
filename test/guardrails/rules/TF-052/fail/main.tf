provider "aws" {
  region = "eu-west-1"
}

resource "aws_apigatewayv2_api" "public" {
  name          = "public-api"
  protocol_type = "HTTP"
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/apigateway/public-api"
  retention_in_days = 365
}

resource "aws_apigatewayv2_stage" "prod" {
  api_id      = aws_apigatewayv2_api.public.id
  name        = "prod"
  auto_deploy = true
}
