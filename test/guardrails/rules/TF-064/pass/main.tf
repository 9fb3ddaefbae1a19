provider "google" {
  project = "acme-prod"
  region  = "europe-west1"
}

resource "google_storage_bucket" "exports" {
  name                        = "acme-prod-exports"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }
}
