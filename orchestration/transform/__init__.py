"""The dbt side: the project handle, manifest preparation and the asset translator."""
