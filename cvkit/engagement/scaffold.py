"""Create engagement folders: a new client's from the templates, or the demo's."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import unicodedata
from pathlib import Path

from cvkit.resources import templates_dir

__all__ = ["slugify", "new_engagement", "write_demo_engagement", "write_cdnow_engagement", "render_config",
           "DEMO_DATASETS"]

DATA_TEMPLATES = ("customers", "transactions", "survey", "needs", "choice")


def slugify(name: str) -> str:
    """A folder-safe client id: ``"Acme Bank (NL)"`` -> ``"acme-bank-nl"``, ``"Сбербанк"`` -> ``"sberbank"``.

    Non-Latin names are transliterated (anyascii), so two clients' slugs differ as their names do;
    a name with no letter or digit at all gets ``client-`` plus 8 hex digits of its SHA-256, never
    one shared fallback.
    """
    from anyascii import anyascii

    ascii_name = anyascii(unicodedata.normalize("NFKC", name))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:63].strip("-")
    return slug or "client-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def render_config(*, client_name: str, client_slug: str, analysis_date: dt.date, currency: str = "EUR",
                  seed: int = 2026) -> str:
    """``templates/engagement.yaml`` with the client's values filled in."""
    text = (templates_dir() / "engagement.yaml").read_text(encoding="utf-8")
    # json.dumps gives a valid YAML double-quoted scalar, so any client name is safe data.
    values = {"__CLIENT_NAME__": json.dumps(client_name), "__CLIENT_SLUG__": client_slug,
              "__ANALYSIS_DATE__": analysis_date.isoformat(), "__CURRENCY__": currency, "__SEED__": str(seed)}
    for token, value in values.items():
        text = text.replace(token, value)
    return text


def new_engagement(folder: str | Path, client_name: str, *, slug: str | None = None,
                   currency: str = "EUR") -> Path:
    """Create a new engagement folder from ``templates/``.

    Writes ``engagement.yaml`` (the commented template with the client filled
    in), ``data/`` with a header-only CSV per data set, and ``README.md`` for
    the analyst. Refuses to overwrite an existing ``engagement.yaml``.

    Returns
    -------
    Path
        The new ``engagement.yaml``.
    """
    folder = Path(folder)
    config = folder / "engagement.yaml"
    if config.exists():
        raise FileExistsError(f"{config} already exists. Fix: choose a new folder, or edit that config.")
    (folder / "data").mkdir(parents=True, exist_ok=True)
    config.write_text(render_config(client_name=client_name, client_slug=slug or slugify(client_name),
                                    analysis_date=dt.date.today(), currency=currency), encoding="utf-8")
    for kind in DATA_TEMPLATES:
        target = folder / "data" / f"{kind}.csv"
        if not target.exists():
            shutil.copyfile(templates_dir() / "data" / f"{kind}.csv", target)
    shutil.copyfile(templates_dir() / "engagement_README.md", folder / "README.md")
    return config


def write_demo_engagement(folder: str | Path, seed: int = 2026) -> Path:
    """Write the demo engagement (config + generated data) into ``folder``; returns its config path."""
    from cvkit.datasets.demo import make_demo

    folder = Path(folder)
    demo = make_demo(seed=seed)
    demo.write_data(folder / "data")
    config = folder / "engagement.yaml"
    text = render_config(client_name=demo.client_brand, client_slug=demo.client,
                         analysis_date=dt.date.fromisoformat(str(demo.analysis_date)[:10]),
                         currency=demo.currency, seed=seed)
    # The demo also has campaigns, a MaxDiff and subscriptions: switch on their commented-out data sets.
    for kind in ("campaigns", "responses", "maxdiff", "subscriptions"):
        text = text.replace(f"  # {kind}: data/{kind}.csv  ", f"  {kind}: data/{kind}.csv    ")
    config.write_text(text, encoding="utf-8")
    return config


def write_cdnow_engagement(folder: str | Path) -> Path:
    """Write the real-data CLV engagement on the CDNOW sample into ``folder``; returns its config path.

    ``data/transactions.csv`` holds the 6,919 purchases of the 2,357-customer
    sample (``customer_id``, ``date``, ``amount`` in US dollars) and
    ``data/CDNOW.md`` their provenance; ``engagement.yaml`` is
    ``templates/examples/cdnow.yaml``, set up as in Fader, Hardie & Lee (2005).
    """
    from cvkit.datasets.cdnow import _DATA, load_cdnow_sample

    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    log = load_cdnow_sample()
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d"))[["customer_id", "date", "amount"]].to_csv(
        folder / "data" / "transactions.csv", index=False)
    shutil.copyfile(_DATA / "CDNOW.md", folder / "data" / "CDNOW.md")
    config = folder / "engagement.yaml"
    shutil.copyfile(templates_dir() / "examples" / "cdnow.yaml", config)
    return config


#: The bundled engagements ``cvkit demo --dataset`` can write: name -> writer(folder, seed).
DEMO_DATASETS = {
    "retail": write_demo_engagement,
    "cdnow": lambda folder, seed=2026: write_cdnow_engagement(folder),
}
