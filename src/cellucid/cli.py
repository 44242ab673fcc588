"""The ``cellucid`` command: ``serve``, ``prepare`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import sys

from .data.urls import redact
from .hosts import DEFAULT_HOST, DEFAULT_SERVE_PORT, is_loopback


def _serve(args) -> int:
    from .api import serve

    viewer = serve(args.path, port=args.port, host=args.host, open_browser=False,
                   embedding=args.embedding, color=args.color, block=False,
                   storage_options=args.storage_options, session=args.session)
    _print_serving(viewer, redact(args.path), args.host)
    if not args.no_browser:
        open_browser(viewer.viewer_url)
    viewer.serve_forever()
    return 0


def open_browser(url: str) -> bool:
    """Open ``url`` in the user's browser (``$BROWSER`` is honoured); say so when none opens."""
    import webbrowser

    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        print("cellucid: no browser could be opened here; open the URL above in one", flush=True)
    return opened


def _print_serving(viewer, what: str, host: str) -> None:
    print(f"cellucid: serving {what} ({viewer.n_cells:,} cells) — press Ctrl-C to stop",
          flush=True)
    if not is_loopback(host):
        print(f"cellucid: listening on {host}; browsers on other machines must use a name this "
              f"server answers to: set CELLUCID_ALLOWED_HOSTS (and CELLUCID_CLIENT_SERVER_URL "
              f"for the printed URL); the token in the URL stays the guard", flush=True)


def _prepare(args) -> int:
    from .data import prepare

    layers = None
    if args.layers:
        layers = "all" if args.layers == "all" else [n.strip() for n in args.layers.split(",")
                                                     if n.strip()]
    prepare(args.input, args.output, float32=args.float32, layers=layers, raw=not args.no_raw,
            chunk_cells=args.chunk_cells, overwrite=args.overwrite,
            storage_options=args.storage_options, keep_categories=args.keep_categories)
    output = redact(args.output)
    print(f"cellucid: wrote {output}; open it with `cellucid serve {output}`")
    return 0


def _demo(args) -> int:
    try:
        import scanpy as sc
    except ImportError:
        print("cellucid demo needs scanpy for its bundled pbmc68k_reduced dataset: "
              "pip install 'cellucid[demo]'", file=sys.stderr)
        return 2
    from .api import serve

    adata = sc.datasets.pbmc68k_reduced()
    viewer = serve(adata, port=args.port, host=args.host, open_browser=False,
                   color="louvain", block=False)

    @viewer.on_selection
    def report(event):
        print(f"selected {len(event['cells'])} cells ({event.get('source')})", flush=True)

    _print_serving(viewer, "pbmc68k_reduced", args.host)
    if not args.no_browser:
        open_browser(viewer.viewer_url)
    print("Draw a lasso (press l) in the browser; selections are printed here.", flush=True)
    viewer.serve_forever()
    return 0


def _storage_options(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cellucid`` command."""
    parser = argparse.ArgumentParser(prog="cellucid", description=(
        "Interactive single-cell viewer wired to Python."))
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a viewer of an .h5ad, .zarr or export dir")
    serve.add_argument("path", help=".h5ad file, .zarr store or export directory; or the URL of "
                                    "an export or .zarr store (s3://, gs://, https://, file://)")
    serve.add_argument("--embedding", default=None, help="obsm key to show first")
    serve.add_argument("--color", default=None, help="obs column or gene to colour by")
    serve.add_argument("--session", default=None, metavar="FILE",
                       help="a .cellucid-session file to open the view on (the same cells)")
    serve.set_defaults(run=_serve)

    prepare = commands.add_parser("prepare", help="write the fast export format")
    prepare.add_argument("input", help=".h5ad or .zarr (a remote .zarr URL is read into memory)")
    prepare.add_argument("output", help="export directory to write, or a writable URL "
                                        "(s3://bucket/atlas.cellucid, gs://…)")
    prepare.add_argument("--float32", action="store_true",
                         help="store coordinates as float32 instead of quantized uint16")
    prepare.add_argument("--layers", default=None,
                         help="layers to export besides X: comma-separated names, or 'all'")
    prepare.add_argument("--no-raw", action="store_true",
                         help="leave .raw out (kept by default: scanpy compares it by default)")
    prepare.add_argument("--chunk-cells", type=int, default=None,
                         help="cells read at a time (default: about 4M stored values a chunk)")
    prepare.add_argument("--overwrite", action="store_true",
                         help="replace an existing, non-empty output directory")
    prepare.add_argument("--keep-categories", default=None, metavar="OBS_COLUMN",
                         help="categorical obs column whose every category keeps cells at the "
                              "coarsest level of detail (default: the first with colours, else "
                              "the first categorical one)")
    prepare.set_defaults(run=_prepare)

    demo = commands.add_parser("demo", help="serve scanpy's bundled pbmc68k_reduced dataset")
    demo.set_defaults(run=_demo)

    for sub in (serve, prepare):
        sub.add_argument("--storage-options", type=_storage_options, default=None,
                         metavar="JSON", help="fsspec options for a URL, as a JSON object (e.g. "
                         "'{\"client_kwargs\": {\"endpoint_url\": \"http://…\"}}'); "
                         "credentials are better left to the environment or ~/.aws")

    for sub in (serve, demo):
        sub.add_argument("--port", type=int, default=DEFAULT_SERVE_PORT,
                         help="port (0: any free port)")
        sub.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
        sub.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``cellucid`` command line."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C before serving began (loading, opening the browser)
        print("\ncellucid: stopping", flush=True)
        return 0
    except (FileNotFoundError, ValueError, KeyError, OSError, ImportError) as exc:
        print(f"cellucid: {redact(str(exc))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
