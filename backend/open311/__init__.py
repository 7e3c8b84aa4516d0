"""Open311 GeoReport v2: services are complaint categories, service definitions their extra
questions, service requests complaints (confidential ones never appear)."""
