# Whether the analytics database is public depends on a variable without a value.
variable "analytics_public" {
  type = bool
}

resource "aws_db_instance" "analytics" {
  identifier                  = "analytics"
  engine                      = "postgres"
  instance_class              = "db.t4g.medium"
  allocated_storage           = 20
  username                    = "analytics"
  manage_master_user_password = true
  storage_encrypted           = true
  publicly_accessible         = var.analytics_public
}
