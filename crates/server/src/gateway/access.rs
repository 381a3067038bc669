//! Per-guild permission snapshots the dispatcher uses to decide who may see an event, so
//! nobody receives an event about a channel they cannot view. Loaded on demand, dropped whenever
//! roles, channels, overwrites or memberships change.

use coterie_model::Permissions;
use coterie_model::Snowflake;
use coterie_model::permissions::{ChannelKind, MemberContext, Overwrite};
use coterie_store::Store;
use std::collections::HashMap;

/// What decides permissions in one guild.
#[derive(Debug)]
pub struct GuildAccess {
    guild_id: i64,
    owner_id: i64,
    everyone: Permissions,
    channels: HashMap<i64, (ChannelKind, Vec<Overwrite>)>,
    member_roles: HashMap<i64, Vec<(Snowflake, Permissions)>>,
    /// The channels as rows, to announce channels that become visible.
    pub rows: HashMap<i64, (coterie_store::ChannelRow, Vec<coterie_store::OverwriteRow>)>,
}

impl GuildAccess {
    /// Loads a snapshot; `None` if the guild no longer exists.
    pub async fn load(
        store: &Store,
        guild_id: i64,
    ) -> Result<Option<Self>, coterie_store::StoreError> {
        let Some(guild) = store.guild(guild_id).await? else {
            return Ok(None);
        };
        let (roles, channels, ows, pairs) = tokio::try_join!(
            store.roles(guild_id),
            store.guild_channels(guild_id),
            store.guild_overwrites(guild_id),
            store.guild_member_roles(guild_id)
        )?;
        let role_perms: HashMap<i64, Permissions> = roles
            .iter()
            .map(|r| (r.id, Permissions(r.permissions as u64)))
            .collect();
        let mut chans: HashMap<i64, (ChannelKind, Vec<Overwrite>)> = channels
            .iter()
            .map(|c| (c.id, (crate::service::perms::channel_kind(c.kind), vec![])))
            .collect();
        for o in crate::service::perms::overwrites(&ows)
            .into_iter()
            .zip(ows.iter())
        {
            if let Some(entry) = chans.get_mut(&o.1.channel_id) {
                entry.1.push(o.0);
            }
        }
        let mut rows: HashMap<i64, (coterie_store::ChannelRow, Vec<coterie_store::OverwriteRow>)> =
            channels
                .iter()
                .map(|c| (c.id, (c.clone(), vec![])))
                .collect();
        for o in &ows {
            if let Some(r) = rows.get_mut(&o.channel_id) {
                r.1.push(*o);
            }
        }
        let mut member_roles: HashMap<i64, Vec<(Snowflake, Permissions)>> = HashMap::new();
        for p in pairs {
            if let Some(perm) = role_perms.get(&p.role_id) {
                member_roles
                    .entry(p.user_id)
                    .or_default()
                    .push((Snowflake::from_i64(p.role_id), *perm));
            }
        }
        Ok(Some(Self {
            guild_id,
            owner_id: guild.owner_id,
            everyone: role_perms.get(&guild_id).copied().unwrap_or_default(),
            channels: chans,
            member_roles,
            rows,
        }))
    }

    fn ctx<'a>(&self, user: i64, roles: &'a [(Snowflake, Permissions)]) -> MemberContext<'a> {
        MemberContext {
            guild_id: Snowflake::from_i64(self.guild_id),
            owner_id: Snowflake::from_i64(self.owner_id),
            user_id: Snowflake::from_i64(user),
            everyone: self.everyone,
            roles,
            timed_out: false,
        }
    }

    /// A member's permissions in a channel (0 for unknown channels).
    #[must_use]
    pub fn channel(&self, user: i64, channel: i64) -> Permissions {
        let Some((kind, ows)) = self.channels.get(&channel) else {
            return Permissions::NONE;
        };
        let roles = self.member_roles.get(&user).map_or(&[][..], Vec::as_slice);
        self.ctx(user, roles).in_channel(ows, *kind)
    }

    /// A member's guild-wide permissions.
    #[must_use]
    pub fn base(&self, user: i64) -> Permissions {
        let roles = self.member_roles.get(&user).map_or(&[][..], Vec::as_slice);
        self.ctx(user, roles).base()
    }

    /// Channel ids of the guild.
    pub fn channel_ids(&self) -> impl Iterator<Item = &i64> {
        self.channels.keys()
    }
}
