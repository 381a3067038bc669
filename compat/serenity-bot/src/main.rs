//! A serenity bot pointed at Coterie: answers `!ping` with `pong` and the `/ping` slash command.
//! env: COTERIE_URL (http://127.0.0.1:PORT), BOT_TOKEN, GUILD_ID

use serenity::all::{
    Context, CreateCommand, CreateInteractionResponse, CreateInteractionResponseMessage,
    EventHandler, GatewayIntents, GuildId, Interaction, Message, Ready, ResumedEvent,
};
use serenity::async_trait;
use serenity::http::HttpBuilder;
use std::env;

struct Handler {
    guild: GuildId,
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let cmd = CreateCommand::new("ping").description("Replies with pong");
        if let Err(e) = self.guild.set_commands(&ctx.http, vec![cmd]).await {
            eprintln!("registering /ping failed: {e}");
        }
        println!("READY {}", ready.user.id);
    }

    async fn resume(&self, _: Context, _: ResumedEvent) {
        println!("RESUMED");
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if msg.content == "!ping"
            && !msg.author.bot
            && let Err(e) = msg.channel_id.say(&ctx.http, "pong").await
        {
            eprintln!("sending failed: {e}");
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(c) = interaction
            && c.data.name == "ping"
        {
            let r = CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new().content("pong"),
            );
            if let Err(e) = c.create_response(&ctx.http, r).await {
                eprintln!("responding failed: {e}");
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let url = env::var("COTERIE_URL")?;
    let token = env::var("BOT_TOKEN")?;
    let guild = GuildId::new(env::var("GUILD_ID")?.parse()?);
    // The one change a serenity bot needs: the proxy for REST; the gateway URL comes from GET /gateway.
    let http = HttpBuilder::new(&token)
        .proxy(url.trim_end_matches('/'))
        .ratelimiter_disabled(true)
        .build();
    let intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::all::ClientBuilder::new_with_http(http, intents)
        .event_handler(Handler { guild })
        .await?;
    client.start().await?;
    Ok(())
}
