provider "aws" {
  region = "eu-west-1"
}

resource "aws_instance" "legacy_app" {
  ami           = "ami-0c1c30571d2dae5c9"
  instance_type = "t3.small"

  user_data = <<-EOF
    #!/bin/bash
    set -euo pipefail
    cat > /etc/app.env <<ENV
    DB_HOST=db.internal.acme.example
    DB_PASSWORD=Sup3rS3cretPassw0rd
    ENV
    systemctl restart app
  EOF
}
