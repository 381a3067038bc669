//! A twilight bot pointed at Coterie: answers `!ping` with `pong` and the `/ping` slash command.
//! env: COTERIE_URL (http://127.0.0.1:PORT), BOT_TOKEN, GUILD_ID

use std::env;
use twilight_gateway::{
    ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt as _,
};
use twilight_http::Client;
use twilight_model::application::command::CommandType;
use twilight_model::application::interaction::InteractionData;
use twilight_model::http::interaction::{
    InteractionResponse, InteractionResponseData, InteractionResponseType,
};
use twilight_model::id::Id;
use twilight_util::builder::command::CommandBuilder;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let url = env::var("COTERIE_URL")?;
    let token = env::var("BOT_TOKEN")?;
    let guild_id = Id::new(env::var("GUILD_ID")?.parse()?);
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    // The one change a twilight bot needs: the proxy host for REST and the gateway URL.
    let http = Client::builder()
        .token(token.clone())
        .proxy(host.clone(), true)
        .build();
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let config = ConfigBuilder::new(token, intents)
        .proxy_url(format!("ws://{host}"))
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let mut application_id = None;
    while let Some(item) = shard.next_event(EventTypeFlags::all()).await {
        let event = match item {
            Ok(e) => e,
            Err(e) => {
                eprintln!("gateway error: {e}");
                continue;
            }
        };
        match event {
            Event::Ready(r) => {
                let app = r.application.id;
                application_id = Some(app);
                let ping = CommandBuilder::new("ping", "Replies with pong", CommandType::ChatInput)
                    .build();
                http.interaction(app)
                    .set_guild_commands(guild_id, &[ping])
                    .await?;
                println!("READY {}", r.user.id);
            }
            Event::Resumed => println!("RESUMED"),
            Event::MessageCreate(m) if m.content == "!ping" && !m.author.bot => {
                http.create_message(m.channel_id).content("pong").await?;
            }
            Event::InteractionCreate(i) => {
                let is_ping = matches!(&i.data, Some(InteractionData::ApplicationCommand(c)) if c.name == "ping");
                if let (true, Some(app)) = (is_ping, application_id) {
                    let response = InteractionResponse {
                        kind: InteractionResponseType::ChannelMessageWithSource,
                        data: Some(InteractionResponseData {
                            content: Some("pong".into()),
                            ..Default::default()
                        }),
                    };
                    http.interaction(app)
                        .create_response(i.id, &i.token, &response)
                        .await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
