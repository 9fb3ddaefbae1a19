provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "main" {
  name     = "rg-prod"
  location = "westeurope"
}

resource "azurerm_storage_account" "data" {
  name                     = "acmeproddata"
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_tier             = "Standard"
  account_replication_type = "GRS"
  min_tls_version          = "TLS1_2"
}
