"""Complaints (pengaduan/aspirasi): filing, routing, officers' actions, deadlines, public feed."""
