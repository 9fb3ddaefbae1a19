provider "aws" {
  region = "eu-west-1"
}

module "assets" {
  source = "./modules/bucket"
  name   = "acme-assets-prod"
}
