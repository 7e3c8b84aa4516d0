"""Public information: announcements, agency directory, service catalogue, pages, search."""
