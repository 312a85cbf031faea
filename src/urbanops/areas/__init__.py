"""The area hierarchy (city, towns, communities, grid cells), the handling units and the
responsibility matrix that routes a matter in an area to a unit."""
