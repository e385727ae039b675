"""Generators of device data: backups (ios_backup.py) and phone databases (ios.py, android*.py)."""
