provider "aws" {
  region = "eu-west-1"
}

resource "aws_redshift_cluster" "warehouse" {
  cluster_identifier     = "warehouse"
  database_name          = "analytics"
  master_username        = "warehouse"
  manage_master_password = true
  node_type              = "ra3.xlplus"
  cluster_type           = "multi-node"
  number_of_nodes        = 2
  publicly_accessible    = false
  encrypted              = true
}
