variable "identifier" {
  type = string
}

variable "encrypted" {
  description = "Encrypt the database storage."
  type        = bool
  default     = true
}

resource "aws_db_instance" "this" {
  identifier                  = var.identifier
  engine                      = "postgres"
  engine_version              = "16.3"
  instance_class              = "db.t4g.medium"
  allocated_storage           = 50
  username                    = "app"
  manage_master_user_password = true
  storage_encrypted           = var.encrypted
  backup_retention_period     = 7
  skip_final_snapshot         = false
}
