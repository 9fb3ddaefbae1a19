provider "aws" {
  region = "eu-west-1"
}

resource "aws_db_instance" "main" {
  identifier                  = "main"
  engine                      = "postgres"
  instance_class              = "db.m6g.large"
  allocated_storage           = 100
  username                    = "main"
  manage_master_user_password = true
  storage_encrypted           = true
  deletion_protection         = true
}
