provider "aws" {
  region = "eu-west-1"
}

resource "aws_iam_role" "fn" {
  name = "thumbnailer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_lambda_function" "thumbnailer" {
  function_name = "thumbnailer"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "build/thumbnailer.zip"
}

resource "aws_lambda_function_url" "thumbnailer" {
  function_name      = aws_lambda_function.thumbnailer.function_name
  authorization_type = "AWS_IAM"
}
