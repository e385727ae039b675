"""Rendering of the bundle's PDFs (private to exports.documents): layout, fonts, forms."""
