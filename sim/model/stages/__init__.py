"""The stages of a child's journey, one module each, in the order a child meets them.

origin -> transit (Central Americans) -> southern_border, or
origin -> (abroad) -> northern_border -> return_home; screening is shared by both borders.
"""
