provider "google" {
  project = "acme-prod"
  region  = "europe-west1"
}

resource "google_storage_bucket" "static" {
  name                        = "acme-prod-static"
  location                    = "EU"
  uniform_bucket_level_access = true
}

variable "readers" {
  type    = list(string)
  default = ["group:web-team@acme.example", "serviceAccount:cdn@acme-prod.iam.gserviceaccount.com"]
}

resource "google_storage_bucket_iam_member" "readers" {
  for_each = toset(var.readers)

  bucket = google_storage_bucket.static.name
  role   = "roles/storage.objectViewer"
  member = each.value
}
