"""Headless Chromium: the pack's HTML page printed to PDF (A4) and photographed as PNG.

The PDF is made from the very HTML page that is published, so the two never differ. Chromium is
the Debian package ``chromium`` (``make test`` installs it, as root, like the PostgreSQL server);
it is run with no network features (no background networking, component updates, sync or first
run), in a throw-away profile, and the page itself references nothing outside it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 180


class ChromiumError(RuntimeError):
    pass


def chromium_executable() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumError(
        "headless Chromium is needed to print the scrutiny pack to PDF and none is installed: install the Debian "
        "package 'chromium' (as root: apt-get install -y chromium; `make test` does it)"
    )


def _command(args: list[str], profile: str) -> list[str]:
    """Chromium, headless, with no network features, in the throw-away ``profile``."""
    return [
        chromium_executable(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]


def _call(args: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="workforce-chromium-") as profile:
        command = _command(args, profile)
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ChromiumError(f"Chromium did not finish within {TIMEOUT_SECONDS}s: {' '.join(command)}") from exc


def dump_dom(html: Path) -> str:
    """The page's DOM after its scripts ran, as Chromium renders it (offline)."""
    done = _call(["--dump-dom", Path(html).resolve().as_uri()])
    if done.returncode != 0:
        raise ChromiumError(f"Chromium failed (exit {done.returncode}) reading {html}: {done.stderr[-500:]}")
    return done.stdout


def _run(args: list[str], out: Path) -> None:
    done = _call(args)
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        detail = (done.stderr or done.stdout or "").strip().splitlines()[-5:]
        raise ChromiumError(f"Chromium failed (exit {done.returncode}) writing {out}: {' | '.join(detail)}")


def print_pdf(html: Path, pdf: Path) -> Path:
    """Print ``html`` to ``pdf`` (paper size and margins from the page's ``@page`` rule)."""
    _run(
        [
            "--no-pdf-header-footer",
            "--generate-pdf-document-outline",
            f"--print-to-pdf={pdf}",
            Path(html).resolve().as_uri(),
        ],
        pdf,
    )
    return pdf


def screenshot(html: Path, png: Path, width: int = 1240, height: int = 1754) -> Path:
    """A PNG of the top of the page (default: an A4 page's proportions at 150 dpi)."""
    _run(
        [
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            "--force-device-scale-factor=1",
            f"--screenshot={png}",
            Path(html).resolve().as_uri(),
        ],
        png,
    )
    return png
