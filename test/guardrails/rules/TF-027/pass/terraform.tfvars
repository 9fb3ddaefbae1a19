backup_retention_days = 14
