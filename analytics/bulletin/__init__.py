"""Bulletins (通报): the content as data (content), its wording (wording), the Word and Excel
renderings (docx_file, xlsx_file), the charts they carry, and the archive of issued bulletins."""
