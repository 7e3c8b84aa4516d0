"""The Life Room dashboard, the complaint density grid and the open-data export."""
