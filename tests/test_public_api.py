"""The public API, name by name and signature by signature: moving code inside the package must
never change what a user's script calls.

The listings below were taken from the package as released; a change here is a change users see.
"""

from __future__ import annotations

import inspect

import cellucid
from cellucid import HighlightGroup, SessionBundle, Viewer

PUBLIC_NAMES = [
    "CellSequence", "CommandError", "DatasetError", "HighlightGroup", "SessionBundle",
    "SessionMismatch", "SessionReport", "SessionWarning", "Viewer", "ViewerStopped",
    "__version__", "json_default", "prepare", "serve", "show", "show_anndata",
]

FUNCTIONS = {
    "show_anndata": "(data, *, embedding: 'str | None' = None, color: 'str | None' = None, "
                    "height: 'int' = 600, port: 'int | None' = None, layer: 'str | None' = None, "
                    "gene_symbols: 'str | None' = None, title: 'str | None' = None, "
                    "annotations_key: 'str | None' = 'cellucid_labels', "
                    "storage_options: 'dict | None' = None, session=None, session_strict: 'bool' "
                    "= True, point_budget: 'int | None' = None) -> 'Viewer'",
    "show": "(path: 'str | os.PathLike', **options) -> 'Viewer'",
    "serve": "(data, *, port: 'int' = 8765, host: 'str' = '127.0.0.1', open_browser: 'bool' = "
             "True, block: 'bool' = True, embedding: 'str | None' = None, color: 'str | None' = "
             "None, layer: 'str | None' = None, gene_symbols: 'str | None' = None, "
             "storage_options: 'dict | None' = None, session=None, point_budget: 'int | None' "
             "= None) -> 'Viewer'",
    "prepare": "(adata_or_path, out_dir, *, float32: 'bool' = False, chunk_cells: 'int | None' = "
               "None, progress: 'bool' = True, embedding: 'str | None' = None, layers=None, raw: "
               "'bool' = True, gene_symbols: 'str | None' = None, overwrite: 'bool' = False, "
               "storage_options: 'dict | None' = None, keep_categories: 'str | None' = None) -> "
               "'Path | str'",
}

VIEWER_INIT = ("(self, dataset, *, embedding: 'str | None' = None, color: 'str | None' = None, "
               "height: 'int' = 600, port: 'int | None' = None, title: 'str | None' = None, "
               "server: 'Server | None' = None, annotations_key: 'str | None' = "
               "'cellucid_labels', point_budget: 'int | None' = None) -> 'None'")

# Every public name of `Viewer` (and the display hooks IPython and marimo call): "property", or
# the signature of the method ("async " first for a coroutine function).
VIEWER = {
    "_display_": "(self)",
    "_repr_html_": "(self) -> 'str'",
    "_repr_mimebundle_": "(self, include=None, exclude=None)",
    "annotations": "property",
    "clear_highlights": "(self, name: 'str | None' = None) -> 'None'",
    "compare": "(self, group, reference='rest', *, method: 'str' = 'wilcoxon', use_raw: "
               "'bool | None' = None, layer: 'str | None' = None, tie_correct: 'bool' = False, "
               "n_genes: 'int | None' = None) -> 'pd.DataFrame'",
    "debug_connection": "(self, timeout: 'float' = 5.0)",
    "get_session_bundle": "(self, timeout: 'float' = 60) -> 'SessionBundle'",
    "load_session": "(self, session, *, strict: 'bool' = True, timeout: 'float' = 60) -> "
                    "'SessionReport'",
    "highlight_cells": "(self, cells, color: 'str' = '#ff0000', name: 'str | None' = None) -> "
                       "'str'",
    "n_cells": "property",
    "off": "(self, event_type: 'str | None' = None, fn: 'Callable | None' = None) -> 'int'",
    "on": "(self, event_type: 'str') -> 'Callable[[Callable], Callable]'",
    "on_click": "(self, fn: 'Callable') -> 'Callable'",
    "on_hover": "(self, fn: 'Callable') -> 'Callable'",
    "on_message": "(self, fn: 'Callable') -> 'Callable'",
    "on_ready": "(self, fn: 'Callable') -> 'Callable'",
    "on_selection": "(self, fn: 'Callable') -> 'Callable'",
    "pending_commands": "property",
    "plot_genes": "(self, genes, groupby: 'str', *, use_raw: 'bool | None' = None, layer: "
                  "'str | None' = None) -> 'pd.DataFrame'",
    "refresh": "(self) -> 'None'",
    "reset_view": "(self) -> 'None'",
    "save_session": "(self, path: 'str | os.PathLike', *, timeout: 'float' = 60) -> 'Path'",
    "save_image": "(self, path, *, scale: 'float' = 2, timeout: 'float' = 60) -> 'Path'",
    "select": "(self, cells) -> 'None'",
    "selection": "property",
    "selection_to_obs": "(self, key: 'str' = 'cellucid_selection') -> 'str'",
    "send_message": "(self, message: 'dict') -> 'None'",
    "serve_forever": "(self) -> 'None'",
    "server": "property",
    "server_url": "property",
    "set_color_by": "(self, field, *, name: 'str | None' = None) -> 'None'",
    "set_embedding": "(self, embedding, *, name: 'str | None' = None) -> 'None'",
    "set_visibility": "(self, cells=None, visible: 'bool' = True) -> 'None'",
    "show_all": "(self) -> 'None'",
    "show_only": "(self, cells) -> 'None'",
    "state": "property",
    "stop": "(self, message: 'str' = 'This viewer was stopped from Python.') -> 'None'",
    "stopped": "property",
    "viewer_id": "property",
    "viewer_token": "property",
    "viewer_url": "property",
    "wait_for_callbacks": "(self, timeout: 'float | None' = 10) -> 'None'",
    "wait_for_event": "(self, event_type: 'str | None', timeout: 'float | None' = 30, predicate: "
                      "'Callable[[dict], bool] | None' = None) -> 'dict'",
    "wait_for_event_async": "async (self, event_type: 'str | None', timeout: 'float | None' = "
                            "30, predicate: 'Callable[[dict], bool] | None' = None) -> 'dict'",
    "wait_for_ready": "(self, timeout: 'float | None' = 60) -> 'dict'",
    "waiters": "property",
    "widget": "property",
    "widget_for_display": "(self)",
}
# Set on every viewer: the dataset shown, the output's height, and whether stopping the viewer
# closes the dataset (True when cellucid opened it).
VIEWER_ATTRIBUTES = {"dataset", "height", "owns_dataset"}

SESSION_BUNDLE = {
    "apply": "(self, viewer, *, strict: 'bool' = True)",
    "from_json": "(cls, data: 'dict', n_cells: 'int | None' = None) -> 'SessionBundle'",
    "load": "(cls, path: 'str | os.PathLike', n_cells: 'int | None' = None) -> 'SessionBundle'",
    "referenced_cells": "(self) -> 'np.ndarray'",
    "save": "(self, path: 'str | os.PathLike') -> 'Path'",
    "to_anndata": "(self, adata, prefix: 'str' = '') -> 'list[str]'",
    "to_json": "(self) -> 'dict'",
}


def is_listed(name: str) -> bool:
    """Public names, and the display hooks (``_repr_*_``, ``_display_``) front ends call."""
    return not name.startswith("_") or (name.endswith("_") and not name.startswith("__"))


def describe(cls) -> dict[str, str]:
    """Each listed name of ``cls`` (inherited ones too): "property" or its signature."""
    found = {}
    for name in dir(cls):
        if not is_listed(name):
            continue
        value = next(vars(k)[name] for k in cls.__mro__ if name in vars(k))
        if isinstance(value, property):
            found[name] = "property"
        elif isinstance(value, (classmethod, staticmethod)):
            found[name] = str(inspect.signature(value.__func__))
        elif inspect.iscoroutinefunction(value):
            found[name] = "async " + str(inspect.signature(value))
        elif callable(value):
            found[name] = str(inspect.signature(value))
        else:
            found[name] = f"value {value!r}"
    return found


def test_the_package_exports_the_same_names():
    assert sorted(cellucid.__all__) == PUBLIC_NAMES
    assert all(hasattr(cellucid, name) for name in PUBLIC_NAMES)


def test_the_entry_points_keep_their_signatures():
    for name, signature in FUNCTIONS.items():
        assert str(inspect.signature(getattr(cellucid, name))) == signature, name


def test_viewer_keeps_every_public_name_and_signature():
    assert str(inspect.signature(Viewer.__init__)) == VIEWER_INIT
    found = describe(Viewer)
    assert sorted(found) == sorted(VIEWER), (set(found) ^ set(VIEWER))
    for name, signature in VIEWER.items():
        assert found[name] == signature, name


def test_a_viewer_carries_its_public_attributes(viewer):
    attributes = {name for name in vars(viewer) if not name.startswith("_")}
    assert attributes == VIEWER_ATTRIBUTES
    assert viewer.owns_dataset is True   # show_anndata opened the dataset: stop closes it


def test_session_bundles_keep_their_fields_and_methods():
    assert [f for f in SessionBundle.__dataclass_fields__] == [
        "highlight_groups", "selection", "color_by", "embedding", "camera", "n_cells",
        # what a .cellucid-session file adds: the cells' identity, the rest of the view, and
        # Python's part (labels, pushed values, analyses shown)
        "obs_names_hash", "embeddings", "cell_names", "colormap", "point_size", "theme",
        "hidden", "panels", "labels", "labels_key", "values", "pushed_embeddings",
        "comparison", "gene_plots"]
    assert [f for f in HighlightGroup.__dataclass_fields__] == ["name", "color", "cells"]
    found = {k: v for k, v in describe(SessionBundle).items()
             if k not in SessionBundle.__dataclass_fields__}
    assert found == SESSION_BUNDLE


def test_session_reports_keep_their_fields():
    assert [f for f in cellucid.SessionReport.__dataclass_fields__] == [
        "n_cells", "matched_cells", "dropped_cells", "dropped", "notes"]
    assert isinstance(cellucid.SessionReport.complete, property)


def test_the_exceptions_keep_their_bases():
    assert issubclass(cellucid.CommandError, RuntimeError)
    assert issubclass(cellucid.ViewerStopped, RuntimeError)
    assert issubclass(cellucid.DatasetError, ValueError)
    assert issubclass(cellucid.SessionMismatch, ValueError)
    assert issubclass(cellucid.SessionWarning, UserWarning)


CELL_SEQUENCE = {
    "count": "(self, value) -> 'int'",
    "from_mask": "(cls, mask) -> 'CellSequence'",
    "index": "(self, value, start: 'int' = 0, stop: 'int | None' = None) -> 'int'",
    "tolist": "(self) -> 'list[int]'",
}


def test_big_selections_keep_their_sequence_and_json_helper():
    assert describe(cellucid.CellSequence) == CELL_SEQUENCE
    assert str(inspect.signature(cellucid.json_default)) == "(value)"
