variable "backup_retention_days" {
  description = "Days of automated backups to keep."
  type        = number
  default     = 7
}
