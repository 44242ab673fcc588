"""Notebook integration: the viewer as a notebook output (widget or iframe), the kernel's comm as
a second way to the server, hearing the page while a cell blocks, and the URL a browser gets."""
