//! Prints what acord does after each gateway close code, and the intents a
//! few events need. Runs offline: `cargo run -p acord-examples --example signals`.

use acord_core_signals::{
    close_verdict, CloseCode, CloseVerdict, GatewayOpcode, Intents, API_VERSION,
};

fn main() {
    println!("acord speaks Discord API v{API_VERSION}");
    for op in GatewayOpcode::ALL {
        println!("op {:>2} {:<26} {:?}", op.code(), op.name(), op.direction());
    }
    for code in [1000u16, 1006, 4000, 4003, 4004, 4009, 4014] {
        let verdict = close_verdict(code);
        let what = match verdict {
            CloseVerdict::Resume => "reconnect and RESUME".to_owned(),
            CloseVerdict::Reidentify => "reconnect and IDENTIFY".to_owned(),
            CloseVerdict::Fatal => match CloseCode::from_code(code) {
                Some(known) => format!("stop: {}", known.explanation()),
                None => "stop".to_owned(),
            },
        };
        println!("close {code}: {what}");
    }
    for event in ["MESSAGE_CREATE", "PRESENCE_UPDATE", "INTERACTION_CREATE"] {
        match Intents::for_event(event) {
            Some(i) if i.is_empty() => println!("{event}: always sent"),
            Some(i) => println!("{event}: needs one of {i:?}"),
            None => println!("{event}: not a documented event"),
        }
    }
}
