"""The publication-ready report: APA text, tables (CSV/XLSX/DOCX), figures and HTML."""
