#!/usr/bin/env python3
"""Writes the model price table agenttail prices LLM calls with: Sources/AgentTail/Resources/pricing/model-prices.json.

The prices are a snapshot of the model price file the `litellm` package carries (model_prices_and_context_window
_backup.json, kept up to date by its maintainers), fetched from PyPI rather than typed by hand: chat models of the
providers that make them (not resellers' copies), in US dollars per million tokens, with the prices of cache reads
and cache writes where the provider has them. The file records the package version and the day it was written.

    scripts/model-prices.py                    # the newest litellm on PyPI
    scripts/model-prices.py --version 1.110.2  # a given one
"""
import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "Sources/AgentTail/Resources/pricing/model-prices.json"
MEMBER = "litellm/model_prices_and_context_window_backup.json"
# Providers whose own models these are; other entries are the same models resold, often at other prices.
PROVIDERS = {
    "anthropic", "openai", "gemini", "vertex_ai-language-models", "minimax", "deepseek", "mistral", "xai",
    "moonshot", "dashscope", "zai", "cohere_chat", "groq", "perplexity",
}


def fetch(version: str | None, folder: Path) -> tuple[dict, str]:
    """The price file of litellm `version` (the newest when None) and the version it came from."""
    requirement = f"litellm=={version}" if version else "litellm"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check",
                    "-d", str(folder), requirement], check=True)
    wheel = next(folder.glob("litellm-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        data = json.loads(archive.read(MEMBER))
    return data, wheel.name.split("-")[1]


def per_million(value) -> float | None:
    return None if value is None else round(float(value) * 1_000_000, 6)


def table(data: dict) -> dict:
    models = {}
    for name, entry in sorted(data.items()):
        if not isinstance(entry, dict) or entry.get("litellm_provider") not in PROVIDERS:
            continue
        # Chat models, and OpenAI's own models served only by its Responses API (the Codex ones); other providers'
        # Responses entries are other makers' models resold.
        mode = entry.get("mode")
        if mode != "chat" and not (mode == "responses" and entry.get("litellm_provider") == "openai"):
            continue
        input_price = per_million(entry.get("input_cost_per_token"))
        output_price = per_million(entry.get("output_cost_per_token"))
        if input_price is None or output_price is None:
            continue
        price = {"input": input_price, "output": output_price}
        for key, field in [("cache_read", "cache_read_input_token_cost"), ("cache_write", "cache_creation_input_token_cost")]:
            value = per_million(entry.get(field))
            if value is not None:
                price[key] = value
        models[name] = price
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", help="the litellm version to take the prices from (default: the newest)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data, version = fetch(arguments.version, Path(folder))
    models = table(data)
    document = {
        "source": f"litellm {version} (PyPI), {MEMBER.split('/')[1]}",
        "license": "litellm is under the MIT License, Copyright (c) 2023 Berri AI",
        "written": datetime.date.today().isoformat(),
        "generated_by": "scripts/model-prices.py",
        "unit": "US dollars per million tokens",
        "models": models,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote prices of {len(models)} models from litellm {version} to {OUTPUT}")


if __name__ == "__main__":
    main()
