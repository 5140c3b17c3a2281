#!/usr/bin/env python3
"""Drives `kbc mcp` with the official Python MCP SDK (`pip install mcp`), a client kbc did not write.

Usage: mcp_client.py KBC_BINARY BOOK_DIR  (a folder with a book.toml, such as the repository root)

Spawns `kbc mcp BOOK_DIR` over stdio, lists the tools, looks up 找不到登录地址 (expecting the
msoidsvc firewall entry first, with its steps and deep link), fetches the seed article and reads it
as a resource. Prints one line per check; exits non-zero on the first failure.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

SEED_ID = "zh-CN/cdd4801a-2fe1-4aab-bbb6-db5f95f972d1"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}")


def field(obj, *names):
    """An attribute of an SDK object, whichever spelling this SDK version uses."""
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    raise AttributeError(f"{type(obj).__name__} has none of {names}")


async def main(kbc, content):
    params = StdioServerParameters(command=kbc, args=["mcp", "--quiet", content])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(field(init, "serverInfo", "server_info").name == "kbc", "server is kbc")

            tools = {t.name: t for t in (await session.list_tools()).tools}
            check(
                sorted(tools) == ["get_article", "list_articles", "lookup_error", "search_kb"],
                f"four tools: {sorted(tools)}",
            )
            for t in tools.values():
                check(field(t, "inputSchema", "input_schema")["type"] == "object", f"{t.name} has an input schema")
                check(field(t, "outputSchema", "output_schema") is not None, f"{t.name} has an output schema")

            result = await session.call_tool("lookup_error", {"message": "找不到登录地址"})
            check(not field(result, "isError", "is_error"), "lookup_error succeeded")
            data = field(result, "structuredContent", "structured_content")
            first = data["results"][0]
            entry = first["entry"]
            check(first["match"] == "exact", "the first result is an exact match")
            check(entry["text"] == "找不到登录地址", "the first entry is 找不到登录地址")
            check("msoidsvc.exe" in entry["causes"][0]["text"], "its cause is the msoidsvc.exe sign-in request")
            procedure = entry["causes"][0]["resolution"]["procedure"]
            check(procedure["section_id"] == "__add_a_firewall", "its resolution is the firewall procedure")
            check(
                procedure["url"] == "troubleshooting-sign-in-errors-for-admins.html#__add_a_firewall",
                f"the procedure's deep link: {procedure['url']}",
            )
            steps = procedure["procedures"][0]["steps"]
            check([s["number"] for s in steps] == [1, 2, 3, 4], "four numbered steps")
            check("Forefront" in steps[0]["text"], "the first step opens Forefront")
            kinds = [c.type for c in result.content]
            check(kinds[0] == "text" and "resource_link" in kinds, f"content items: {kinds}")
            check(json.loads(result.content[0].text) == data, "the text item is the structured content")

            result = await session.call_tool("get_article", {"id_or_url": SEED_ID})
            article = field(result, "structuredContent", "structured_content")
            check(article["id"] == SEED_ID, "get_article returns the seed")
            check(article["markdown"].startswith("# 解决管理员的 Skype for Business Online 登录错误"), "as Markdown")

            result = await session.call_tool("get_article", {"id_or_url": "no/such-article"})
            check(field(result, "isError", "is_error"), "an unknown article is a tool error")

            resources = (await session.list_resources()).resources
            check(len(resources) == 1, "one resource")
            read = await session.read_resource(resources[0].uri)
            check(read.contents[0].text == article["markdown"], "the resource is the article's Markdown")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
    print("python client: all checks passed")
