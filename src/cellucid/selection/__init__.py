"""Selections resolved in the kernel over every cell: lasso polygons, neighbourhoods, bitmasks."""
