provider "aws" {
  region = "eu-west-1"
}

module "orders_db" {
  source     = "./modules/postgres"
  identifier = "orders"
  encrypted  = true
}
