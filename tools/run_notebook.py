#!/usr/bin/python3
"""Execute a Jupyter notebook headless and keep every output, then export it to HTML.

Why not plain `jupyter nbconvert --execute`: the Deno 2.9.6 kernel sometimes publishes a cell's
outputs *after* it reports `status: idle`, and nbclient stops reading a cell's outputs at idle, so
2-8 % of outputs are silently dropped (docs/notebooks.md). This runner subclasses
nbclient's client: after each cell's idle it keeps draining the iopub channel until no message for
that cell has arrived for a grace period, and files late messages under the cell they belong to.

Usage: run_notebook.py NOTEBOOK OUT_DIR [--kernel NAME] [--timeout SECONDS] [--grace SECONDS]
Writes OUT_DIR/<name>.ipynb (executed) and OUT_DIR/<name>.html; prints one JSON line with the
per-cell seconds and output counts. Exit status 1 on a cell error (the message names the cell).

Needs Debian's python3-nbclient / jupyter-nbconvert (run with /usr/bin/python3).
"""
import argparse
import asyncio
import json
import os
import queue
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError


class DrainingClient(NotebookClient):
    """An nbclient client that also collects outputs published after a cell's idle."""

    grace_seconds = 0.25

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.late_outputs = 0
        self.corrupt_messages = 0
        self.cell_seconds = {}

    async def _next_iopub(self, timeout):
        """The next iopub message that passes the HMAC check.

        The Deno kernel very rarely publishes a message that does not verify (`Invalid
        Signature`, or frames without the `<IDS|MSG>` delimiter). Stock nbclient dies on it and
        loses the whole notebook; here it is counted and skipped (jupyter_client raises ValueError
        for every such fault). If it was the cell's idle status, nbclient still finishes the cell on
        the shell reply after `iopub_timeout`; if it was an output, the caller reruns the notebook
        (lib/report/notebooks.ts) since `corrupt_messages` is non-zero.
        """
        while True:
            try:
                return await self.kc.iopub_channel.get_msg(timeout=timeout)
            except ValueError as e:
                self.corrupt_messages += 1
                print(f"run_notebook: skipped an iopub message with a bad signature ({e})", file=sys.stderr)

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        while True:
            msg = await self._next_iopub(None)
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    break
        # Idle seen: keep reading until the kernel has been quiet for the grace period.
        deadline = time.monotonic() + self.grace_seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                msg = await self._next_iopub(left)
            except (queue.Empty, asyncio.TimeoutError, TimeoutError):
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            if msg["msg_type"] in ("status", "execute_input"):
                continue
            self.late_outputs += 1
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                pass
            deadline = time.monotonic() + self.grace_seconds

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        start = time.monotonic()
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            self.cell_seconds[cell_index] = time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebook")
    ap.add_argument("out_dir")
    ap.add_argument("--kernel", default=None, help="kernel name (default: the notebook's)")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    ap.add_argument("--grace", type=float, default=0.25, help="seconds of quiet after idle")
    ap.add_argument("--no-html", action="store_true")
    args = ap.parse_args()

    path = os.path.abspath(args.notebook)
    name = os.path.splitext(os.path.basename(path))[0]
    os.makedirs(args.out_dir, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name", "deno")
    client = DrainingClient(
        nb,
        timeout=args.timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    client.grace_seconds = args.grace
    started = time.monotonic()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = e
    executed = os.path.join(args.out_dir, name + ".ipynb")
    tmp = executed + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, executed)
    html_path = None
    if not args.no_html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        html_path = os.path.join(args.out_dir, name + ".html")
        with open(html_path + ".tmp", "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(html_path + ".tmp", html_path)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cells.append(
            {
                "cell": i,
                "seconds": round(client.cell_seconds.get(i, 0.0), 3),
                "outputs": len(cell.get("outputs", [])),
                "errors": sum(1 for o in cell.get("outputs", []) if o.get("output_type") == "error"),
            }
        )
    report = {
        "notebook": path,
        "executed": executed,
        "html": html_path,
        "seconds": round(time.monotonic() - started, 3),
        "late_outputs": client.late_outputs,
        "corrupt_messages": client.corrupt_messages,
        "cells": cells,
        "error": None,
    }
    if error is not None:
        failing = next((c["cell"] for c in cells if c["errors"]), None)
        report["error"] = f"cell {failing}: {str(error).strip().splitlines()[-1] if str(error).strip() else error}"
    print(json.dumps(report))
    sys.exit(1 if error is not None else 0)


if __name__ == "__main__":
    main()
