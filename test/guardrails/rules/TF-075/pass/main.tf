provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "main" {
  name     = "rg-prod"
  location = "westeurope"
}

resource "azurerm_network_security_group" "jump" {
  name                = "nsg-jump"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name

  security_rule {
    name                       = "allow-ssh"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = "203.0.113.0/24"
    destination_address_prefix = "*"
  }
}
