provider "aws" {
  region = "eu-west-1"
}

locals {
  databases = {
    orders    = { class = "db.r6g.large", public = false }
    reporting = { class = "db.t4g.medium", public = false }
  }
}

resource "aws_db_instance" "this" {
  for_each = local.databases

  identifier                  = each.key
  engine                      = "mysql"
  engine_version              = "8.0"
  instance_class              = each.value.class
  allocated_storage           = 100
  username                    = "admin"
  manage_master_user_password = true
  storage_encrypted           = true
  publicly_accessible         = each.value.public
}
