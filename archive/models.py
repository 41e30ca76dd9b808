"""Models arrive with their issue; the app is installed so it migrates from day one."""
