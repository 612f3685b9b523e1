"""Document structure: layout regions, tables, reading order and the document parser."""
