provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "main" {
  name     = "rg-prod"
  location = "westeurope"
}

resource "azurerm_mssql_server" "main" {
  name                = "sql-acme-prod"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  version             = "12.0"
  minimum_tls_version = "1.2"

  azuread_administrator {
    login_username              = "sql-admins"
    object_id                   = "00000000-0000-0000-0000-000000000000"
    azuread_authentication_only = true
  }
}
