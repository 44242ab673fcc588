"""Progress bars for the long passes of the data layer (gene cache builds, ``prepare``)."""

from __future__ import annotations


class _NoBar:
    """Stands in for a bar when progress is off, without importing tqdm."""

    def update(self, n: int) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def progress_bar(total: int, desc: str, *, unit: str = "it", enabled: bool = True,
                 plain_text: bool = False, leave: bool = True):
    """A tqdm bar (a context manager with ``update(n)``) counting to ``total``, or a silent one.

    ``plain_text=True`` always draws text; otherwise ``tqdm.auto`` picks a widget in Jupyter.
    ``leave=False`` erases the bar when it is done.
    """
    if not enabled:
        return _NoBar()
    if plain_text:
        # work that may run on a server thread: a notebook widget created there would show up in
        # whichever cell happens to be running, or nowhere
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, leave=leave)
