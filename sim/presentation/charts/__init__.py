"""Charts drawn from result folders on disk. The model never imports this package."""
