// A discord.js bot as discord.js's guide writes it, aimed at acord-testkit.
//
// The only difference from a bot for Discord is the REST base (`rest.api`):
// discord.js asks `/gateway/bot` for the gateway URL, and the fake answers
// with its own, so no `ws` option is needed. Login, IDENTIFY, READY,
// GUILD_CREATE and heartbeats are discord.js's own (no `zlib-sync`
// installed: plain JSON frames).
//
// Usage: node bot.js '<serve JSON line>'
const { Client, Events, GatewayIntentBits } = require('discord.js');

const serve = JSON.parse(process.argv[2]);

const client = new Client({
  intents: [
    GatewayIntentBits.Guilds,
    GatewayIntentBits.GuildMessages,
    GatewayIntentBits.MessageContent,
  ],
  rest: { api: serve.api_base },
});

client.once(Events.ClientReady ?? 'ready', (ready) => {
  console.log(`READY as ${ready.user.tag} in ${ready.guilds.cache.size} guilds`);
});

client.on(Events.MessageCreate, async (message) => {
  if (message.author.id === client.user.id) return;
  if (message.content === 'ping') {
    await message.channel.send('pong');
    console.log(`answered ping in ${message.channel.id}`);
  }
});

client.login(serve.token);
