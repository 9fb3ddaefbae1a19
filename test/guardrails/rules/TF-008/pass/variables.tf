variable "ssh_cidr" {
  description = "Range allowed to reach the bastion over SSH."
  type        = string
  default     = "10.0.0.0/8"
}
