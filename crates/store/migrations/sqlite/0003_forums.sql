-- Threads, forum posts, votes, comment trees, karma and polls.

-- Forum and thread-parent settings (tags, karma gates, defaults) as one JSON object.
alter table channels add column settings text not null default '{}';
create index channels_guild_nonthread_idx on channels (guild_id) where type not in (10, 11, 12);

alter table members add column karma bigint not null default 0;

-- A thread's channel row holds its name, slowmode, last message and `parent_id` (the text or
-- forum channel it lives in); this row holds the rest, with the post's vote counters and ranking keys.
create table threads (
    channel_id integer primary key references channels (id) on delete cascade,
    guild_id bigint not null,
    parent_id bigint not null references channels (id) on delete cascade,
    owner_id bigint not null,
    type bigint not null,
    archived integer not null default 0,
    archive_at bigint not null,
    auto_archive_duration bigint not null,
    auto_archive_at bigint not null,
    locked integer not null default 0,
    invitable integer not null default 1,
    pinned integer not null default 0,
    applied_tags text not null default '[]',
    message_count bigint not null default 0,
    member_count bigint not null default 0,
    total_message_sent bigint not null default 0,
    created_at bigint not null,
    upvotes bigint not null default 0,
    downvotes bigint not null default 0,
    score bigint not null default 0,
    hot bigint not null,
    controversy bigint not null default 0,
    active bigint not null,
    last_comment_at bigint
);
create index threads_guild_active_idx on threads (guild_id, archived);
create index threads_auto_archive_idx on threads (auto_archive_at) where archived = 0;
create index threads_parent_archive_idx on threads (parent_id, archived, archive_at);
create index threads_new_idx on threads (parent_id, channel_id);
create index threads_hot_idx on threads (parent_id, hot, channel_id);
create index threads_top_idx on threads (parent_id, score, channel_id);
create index threads_controversy_idx on threads (parent_id, controversy, channel_id);
create index threads_active_idx on threads (parent_id, active, channel_id);
create index threads_pinned_idx on threads (parent_id) where pinned = 1;

create table thread_tags (
    thread_id bigint not null references threads (channel_id) on delete cascade,
    tag_id bigint not null,
    primary key (thread_id, tag_id)
);

create table thread_members (
    thread_id bigint not null references threads (channel_id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    joined_at bigint not null,
    flags bigint not null default 0,
    primary key (thread_id, user_id)
);
create index thread_members_user_idx on thread_members (user_id);

create table post_votes (
    post_id bigint not null references threads (channel_id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    value bigint not null check (value in (-1, 1)),
    voted_at bigint not null,
    primary key (post_id, user_id)
);
create index post_votes_user_idx on post_votes (user_id);

-- Comments: messages in a forum post, placed in the tree by their reply reference. A deleted
-- comment with replies keeps its row (without its message) as the tombstone that holds the branch.
create table comments (
    message_id integer primary key,
    post_id bigint not null references threads (channel_id) on delete cascade,
    parent_id bigint not null,
    path text not null,
    depth bigint not null,
    child_count bigint not null default 0,
    descendant_count bigint not null default 0,
    upvotes bigint not null default 0,
    downvotes bigint not null default 0,
    score bigint not null default 0,
    best bigint not null default 0,
    controversy bigint not null default 0
);
create index comments_best_idx on comments (post_id, parent_id, best, message_id);
create index comments_top_idx on comments (post_id, parent_id, score, message_id);
create index comments_new_idx on comments (post_id, parent_id, message_id);
create index comments_controversy_idx on comments (post_id, parent_id, controversy, message_id);
create index comments_path_idx on comments (post_id, path);

create table comment_votes (
    message_id bigint not null references comments (message_id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    value bigint not null check (value in (-1, 1)),
    voted_at bigint not null,
    primary key (message_id, user_id)
);
create index comment_votes_user_idx on comment_votes (user_id);

create table polls (
    message_id integer primary key references messages (id) on delete cascade,
    channel_id bigint not null,
    question text not null,
    answers text not null,
    allow_multiselect integer not null default 0,
    layout_type bigint not null default 1,
    expires_at bigint not null,
    finalized integer not null default 0
);
create index polls_open_idx on polls (expires_at) where finalized = 0;

create table poll_votes (
    message_id bigint not null references polls (message_id) on delete cascade,
    answer_id bigint not null,
    user_id bigint not null references users (id) on delete cascade,
    primary key (message_id, user_id, answer_id)
);
create index poll_votes_answer_idx on poll_votes (message_id, answer_id, user_id);
