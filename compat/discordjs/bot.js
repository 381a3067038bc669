// A discord.js bot pointed at Coterie: answers `!ping` with `pong` and the `/ping` slash command,
// and `!file` with a file.
// env: COTERIE_URL (http://127.0.0.1:PORT), BOT_TOKEN, GUILD_ID
const { Client, GatewayIntentBits, Events } = require("discord.js");

const url = process.env.COTERIE_URL.replace(/\/$/, "");
// The one change a discord.js bot needs: the REST base (without /v10). The gateway URL comes
// from GET /gateway/bot.
const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api: `${url}/api`, cdn: `${url}/cdn` },
});

client.once(Events.ClientReady, async (c) => {
  await c.application.commands.set([{ name: "ping", description: "Replies with pong" }], process.env.GUILD_ID);
  console.log(`READY ${c.user.id}`);
});

client.on(Events.ShardResume, () => console.log("RESUMED"));

client.on(Events.MessageCreate, async (message) => {
  if (message.author.id !== client.user.id && message.content === "!ping") {
    await message.channel.send("pong");
  }
  if (message.author.id !== client.user.id && message.content === "!file") {
    await message.channel.send({ content: "file", files: [{ attachment: Buffer.from("hello from discord.js"), name: "hello.txt", description: "greeting" }] });
  }
});

client.on(Events.InteractionCreate, async (interaction) => {
  if (interaction.isChatInputCommand() && interaction.commandName === "ping") {
    await interaction.reply("pong");
  }
});

client.on(Events.Error, (e) => console.error("client error", e));
process.on("unhandledRejection", (e) => console.error("unhandled", e));

client.login(process.env.BOT_TOKEN);
