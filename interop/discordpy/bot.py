"""A discord.py bot as discord.py's quickstart writes it, aimed at acord-testkit.

The only lines that differ from a bot for Discord are the two URLs below:
REST (``discord.http.Route.BASE``) and the gateway a plain ``discord.Client``
connects to (``DiscordWebSocket.DEFAULT_GATEWAY``; it does not ask
``/gateway/bot`` for it, an ``AutoShardedClient`` would). Everything else --
login (``/users/@me``, ``/oauth2/applications/@me``), IDENTIFY, READY,
GUILD_CREATE, heartbeats, ``compress=zlib-stream`` (``zstd-stream`` when the
``zstandard`` package is installed) -- is discord.py's own.

Usage: python bot.py '<serve JSON line>'   (or the line on stdin)
"""

import json
import sys

import discord
import yarl

serve = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline())
discord.http.Route.BASE = serve["api_base"] + "/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(serve["gateway_url"])

intents = discord.Intents.default()
intents.message_content = True

client = discord.Client(intents=intents)


@client.event
async def on_ready():
    print(f"READY as {client.user} in {len(client.guilds)} guilds", flush=True)


@client.event
async def on_message(message):
    if message.author == client.user:
        return
    if message.content == "ping":
        await message.channel.send("pong")
        print(f"answered ping in {message.channel.id}", flush=True)


client.run(serve["token"])
