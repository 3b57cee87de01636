"""Catalog files: format detection, row cleaning and the data-quality report."""
