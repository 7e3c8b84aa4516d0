"""The region pack: the data that makes a deployment a particular city, and its public catalogue."""
