# Saves money on the staging copy
backup_retention_days = 0
