"""Showing a viewer in a notebook output: the iframe and the text around it."""

from __future__ import annotations

import html
import sys


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (as opposed to a script or a terminal IPython)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def iframe_html(viewer) -> str:
    """The HTML of a notebook output showing ``viewer``."""
    url = html.escape(viewer.viewer_url, quote=True)
    return (
        f'<div class="cellucid-output" data-cellucid-viewer="{html.escape(viewer.viewer_id)}">'
        f'<iframe src="{url}" title="cellucid viewer" width="100%" height="{viewer.height}" '
        f'style="border:0;width:100%;height:{viewer.height}px" allow="clipboard-write" '
        f'loading="eager"></iframe>'
        f'<div style="font:12px sans-serif;color:#888">cellucid viewer '
        f'<code>{html.escape(viewer.viewer_id)}</code> — served by this notebook\'s Python '
        f'kernel. If the view above is empty or says the session ended, re-run this cell.'
        f'</div></div>'
    )


def display_viewer(viewer) -> None:
    """Display ``viewer`` in the current notebook output."""
    from IPython.display import HTML, display

    display(HTML(iframe_html(viewer)))
