//! The GUILD_CREATE payloads both caches are fed: JSON text, built with
//! acord-testkit's `fixtures` and made realistic where the fixtures are
//! plain (avatar hashes, global names, nicks, 0-3 roles, boosters).

use acord_testkit::fixtures::{self, Generator};
use serde_json::{json, Value};

/// Shape of the world.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Guilds.
    pub guilds: usize,
    /// Members per guild.
    pub members: usize,
    /// Text and voice channels per guild (one of them a category).
    pub channels: usize,
    /// Roles per guild, `@everyone` included.
    pub roles: usize,
    /// Of each guild's members, how many are users of the shared pool
    /// (also members of other guilds).
    pub shared: usize,
}

/// Every GUILD_CREATE `d` of the world, as JSON text, and how many
/// distinct users they name.
pub struct World {
    /// One JSON text per guild.
    pub payloads: Vec<String>,
    /// Distinct users over all guilds.
    pub users: usize,
    /// Members over all guilds.
    pub members: usize,
}

const NAMES: [&str; 24] = [
    "ada", "bao", "cleo", "dev", "emi", "finn", "gus", "hana", "ivo", "jun", "kai", "lea", "milo",
    "nia", "otto", "pia", "quinn", "rosa", "sami", "tove", "ugo", "vera", "wen", "yara",
];

fn pick<'a>(g: &mut Generator, list: &'a [&'a str]) -> &'a str {
    list[(g.next_u64() % list.len() as u64) as usize]
}

/// A 32-hex-digit image hash, `a_`-prefixed for an animated one.
fn image_hash(g: &mut Generator, animated: bool) -> String {
    let hex = format!("{:016x}{:016x}", g.next_u64(), g.next_u64());
    if animated {
        format!("a_{hex}")
    } else {
        hex
    }
}

/// A user as Discord sends one inside a member: a username, most with a
/// global name and an avatar (a tenth of those animated), a few with
/// public flags.
fn user(g: &mut Generator) -> Value {
    let id = g.next_id();
    let first = pick(g, &NAMES);
    let username = format!("{first}_{}", g.next_u64() % 100_000);
    let mut u = fixtures::public_user(&fixtures::user(id, &username));
    if g.next_u64() % 10 < 7 {
        let last = pick(g, &NAMES);
        u["global_name"] = json!(format!("{} {}", capitalise(first), capitalise(last)));
    } else {
        u["global_name"] = Value::Null;
    }
    if g.next_u64() % 100 < 85 {
        let animated = g.next_u64().is_multiple_of(10);
        u["avatar"] = json!(image_hash(g, animated));
    }
    if g.next_u64().is_multiple_of(20) {
        // HypeSquad house
        u["public_flags"] = json!(64);
        u["flags"] = json!(64);
    }
    u
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn user_id(u: &Value) -> u64 {
    u["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Builds the world: `shape.guilds` GUILD_CREATE payloads.
pub fn build(shape: Shape, seed: u64) -> World {
    let mut g = Generator::new(seed);
    // users shared between guilds: one per guild, so each is in about
    // `shared` guilds
    let pool: Vec<Value> = (0..shape.guilds.max(shape.shared))
        .map(|_| user(&mut g))
        .collect();
    let mut seen_pool = vec![false; pool.len()];
    let mut payloads = Vec::with_capacity(shape.guilds);
    let mut users = 0;
    let mut members = 0;
    for index in 0..shape.guilds {
        let (text, m, own) = guild(&mut g, &shape, index, &pool, &mut seen_pool);
        payloads.push(text);
        members += m;
        users += own;
    }
    users += seen_pool.iter().filter(|s| **s).count();
    World {
        payloads,
        users,
        members,
    }
}

/// One guild; returns its JSON text, its member count and its own
/// (unshared) users.
fn guild(
    g: &mut Generator,
    shape: &Shape,
    index: usize,
    pool: &[Value],
    seen_pool: &mut [bool],
) -> (String, usize, usize) {
    let guild_id = g.next_id();
    let mut d = fixtures::guild(guild_id, &format!("guild {index}"), 0);

    // roles: @everyone, then the rest by position
    let mut role_ids = Vec::new();
    let mut roles = vec![fixtures::everyone_role(guild_id)];
    for position in 1..shape.roles {
        let id = g.next_id();
        role_ids.push(id);
        let perms = fixtures::EVERYONE_PERMISSIONS | (g.next_u64() & ((1 << 13) | (1 << 4)));
        let mut r = fixtures::role(id, &format!("role {position}"), position as u32, perms);
        r["color"] = json!(g.next_u64() % 0xFF_FFFF);
        r["hoist"] = json!(position % 3 == 0);
        roles.push(r);
    }

    // channels: a category, then text channels and two voice channels,
    // a few with overwrites (as GUILD_CREATE sends them: no guild_id)
    let category_id = g.next_id();
    let mut channels = vec![fixtures::category(category_id, guild_id, "Text", 0)];
    for position in 1..shape.channels {
        let id = g.next_id();
        let mut ch = if position + 2 >= shape.channels {
            fixtures::voice_channel(id, guild_id, &format!("voice-{position}"), position as u32)
        } else {
            let mut ch = fixtures::text_channel(
                id,
                guild_id,
                &format!("channel-{position}"),
                position as u32,
            );
            ch["topic"] = json!(format!("What channel {position} is for"));
            ch["last_message_id"] = json!(g.next_id().to_string());
            ch
        };
        ch["parent_id"] = json!(category_id.to_string());
        if position % 4 == 0 && !role_ids.is_empty() {
            let role = role_ids[(g.next_u64() % role_ids.len() as u64) as usize];
            ch["permission_overwrites"] = json!([
                {"id": guild_id.to_string(), "type": 0, "allow": "0", "deny": "1024"},
                {"id": role.to_string(), "type": 0, "allow": "1024", "deny": "0"},
            ]);
        }
        channels.push(ch);
    }
    for ch in &mut channels {
        if let Some(o) = ch.as_object_mut() {
            o.remove("guild_id");
        }
    }

    // members: the shared users first, then the guild's own
    let mut list = Vec::with_capacity(shape.members);
    let shared = shape.shared.min(shape.members);
    let mut own = 0;
    let mut chosen = Vec::with_capacity(shared);
    while chosen.len() < shared {
        let i = (g.next_u64() % pool.len() as u64) as usize;
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    let mut member_users: Vec<Value> = chosen
        .iter()
        .map(|&i| {
            seen_pool[i] = true;
            pool[i].clone()
        })
        .collect();
    while member_users.len() < shape.members {
        member_users.push(user(g));
        own += 1;
    }
    // joined within the last four years, microsecond timestamps
    let now_ms = fixtures::FIXTURE_EPOCH_MS;
    for u in &member_users {
        let n_roles = (g.next_u64() % 4) as usize;
        let mut rs: Vec<u64> = Vec::with_capacity(n_roles);
        while rs.len() < n_roles.min(role_ids.len()) {
            let r = role_ids[(g.next_u64() % role_ids.len() as u64) as usize];
            if !rs.contains(&r) {
                rs.push(r);
            }
        }
        let joined = now_ms - g.next_u64() % (4 * 365 * 86_400_000);
        let mut m = fixtures::member(u, &rs, &fixtures::iso8601(joined));
        if g.next_u64().is_multiple_of(5) {
            m["nick"] = json!(format!("{} ✦", pick(g, &NAMES)));
        }
        if g.next_u64().is_multiple_of(50) {
            m["premium_since"] = json!(fixtures::iso8601(joined + 86_400_000));
        }
        if g.next_u64().is_multiple_of(50) {
            m["avatar"] = json!(image_hash(g, false));
        }
        list.push(m);
    }
    d["owner_id"] = json!(member_users
        .first()
        .map_or_else(|| g.next_id(), user_id)
        .to_string());
    d["roles"] = Value::Array(roles);
    d["channels"] = Value::Array(channels);
    d["member_count"] = json!(list.len());
    let count = list.len();
    d["members"] = Value::Array(list);
    d["presences"] = json!([]);
    d["joined_at"] = json!(fixtures::iso8601(now_ms));
    d["large"] = json!(count > 50);
    d["unavailable"] = json!(false);
    for key in [
        "voice_states",
        "threads",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
    ] {
        d[key] = json!([]);
    }
    (d.to_string(), count, own)
}
