provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "main" {
  name     = "rg-prod"
  location = "westeurope"
}

resource "azurerm_network_security_group" "windows" {
  name                = "nsg-windows"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
}

resource "azurerm_network_security_rule" "rdp" {
  name                        = "allow-rdp"
  priority                    = 110
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_ranges     = ["3389", "5985-5986"]
  source_address_prefix       = "Internet"
  destination_address_prefix  = "*"
  resource_group_name         = azurerm_resource_group.main.name
  network_security_group_name = azurerm_network_security_group.windows.name
}
