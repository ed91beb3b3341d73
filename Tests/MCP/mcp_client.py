"""Runs `agenttail mcp` over stdio or streamable HTTP and talks to it with the MCP Python SDK's client."""
import contextlib
import os
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from stack import BINARY, serving

TRANSPORTS = ["stdio", "http"]


@contextlib.contextmanager
def http_server(config: Path, *extra):
    """`agenttail mcp --http 127.0.0.1:0` in the background; yields its /mcp URL."""
    with serving(["mcp", "--config", str(config), "--http", "127.0.0.1:0", *extra],
                 r"serving MCP at (http://127\.0\.0\.1:\d+/mcp)") as match:
        yield match.group(1)


@contextlib.asynccontextmanager
async def session(config: Path, transport: str):
    """An initialized client session with `agenttail mcp` over `transport`."""
    if transport == "stdio":
        parameters = StdioServerParameters(command=str(BINARY), args=["mcp", "--config", str(config)],
                                           env=dict(os.environ))
        async with stdio_client(parameters) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                await client.list_tools()  # the client validates results against the output schemas listed
                yield client
    else:
        with http_server(config) as url:
            async with streamable_http_client(url) as streams:
                async with ClientSession(streams[0], streams[1]) as client:
                    await client.initialize()
                    await client.list_tools()
                    yield client


def drive(config: Path, transport: str, scenario):
    """Runs `scenario(client)` in a session and returns what it returns."""
    async def main():
        async with session(config, transport) as client:
            return await scenario(client)
    return anyio.run(main)
