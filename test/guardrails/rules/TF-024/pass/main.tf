provider "aws" {
  region = "eu-west-1"
}

resource "aws_instance" "legacy_app" {
  ami                  = "ami-0c1c30571d2dae5c9"
  instance_type        = "t3.small"
  iam_instance_profile = "legacy-app"

  user_data = <<-EOF
    #!/bin/bash
    set -euo pipefail
    DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id prod/app/db --query SecretString --output text)
    echo "DB_HOST=db.internal.acme.example" > /etc/app.env
    echo "DB_PASSWORD=$DB_PASSWORD" >> /etc/app.env
    systemctl restart app
  EOF
}
