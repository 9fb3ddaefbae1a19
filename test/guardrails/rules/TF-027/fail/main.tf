provider "aws" {
  region = "eu-west-1"
}

resource "aws_db_instance" "billing" {
  identifier                  = "billing"
  engine                      = "postgres"
  instance_class              = "db.t4g.large"
  allocated_storage           = 100
  username                    = "billing"
  manage_master_user_password = true
  storage_encrypted           = true
  backup_retention_period     = var.backup_retention_days
}
