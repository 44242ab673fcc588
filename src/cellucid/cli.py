"""The ``cellucid`` command: ``serve``, ``prepare`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
import threading


def block_until_interrupted(viewer) -> None:
    """Block the calling thread until Ctrl-C, then stop ``viewer``."""
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\ncellucid: stopping", flush=True)
    finally:
        viewer.stop("The cellucid server was stopped (Ctrl-C).")


def _serve(args) -> int:
    from .api import serve

    serve(args.path, port=args.port, host=args.host, open_browser=not args.no_browser,
          embedding=args.embedding, color=args.color)
    return 0


def _prepare(args) -> int:
    from .data import prepare

    prepare(args.input, args.output, float32=args.float32)
    print(f"cellucid: wrote {args.output}; open it with `cellucid serve {args.output}`")
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
    viewer = serve(adata, port=args.port, host=args.host, open_browser=not args.no_browser,
                   color="louvain", block=False)

    @viewer.on_selection
    def report(event):
        print(f"selected {len(event['cells'])} cells ({event.get('source')})", flush=True)

    print("Draw a lasso (press l) in the browser; selections are printed here. Ctrl-C stops.",
          flush=True)
    viewer.serve_forever()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cellucid`` command."""
    parser = argparse.ArgumentParser(prog="cellucid", description=(
        "Interactive single-cell viewer wired to Python."))
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a viewer of an .h5ad, .zarr or export dir")
    serve.add_argument("path")
    serve.add_argument("--embedding", default=None, help="obsm key to show first")
    serve.add_argument("--color", default=None, help="obs column or gene to colour by")
    serve.set_defaults(run=_serve)

    prepare = commands.add_parser("prepare", help="write the fast export format")
    prepare.add_argument("input", help=".h5ad or .zarr")
    prepare.add_argument("output", help="export directory to write")
    prepare.add_argument("--float32", action="store_true",
                         help="store coordinates as float32 instead of quantized uint16")
    prepare.set_defaults(run=_prepare)

    demo = commands.add_parser("demo", help="serve scanpy's bundled pbmc68k_reduced dataset")
    demo.set_defaults(run=_demo)

    for sub in (serve, demo):
        sub.add_argument("--port", type=int, default=8765)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``cellucid`` command line."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError, KeyError, OSError) as exc:
        print(f"cellucid: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
